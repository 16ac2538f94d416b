"""Golden reference embeddings: what Python `tokenizers` + `onnxruntime` + numpy pooling give for a fixed set of
texts, which the TypeScript engine must reproduce (ids identical, cosine >= 0.99999).

    tools/.venv/bin/python tools/make_golden.py   # writes test/fixtures/golden/tiny.json and tiny-windows.json

`tiny.json` is the model card's embedding, the engine's default: the whole document in one pass ([CLS] ... [SEP]),
mean-pooled over its tokens, L2-normalised — for short texts and for long ones up to ~4,000 tokens (the CPU
single-pass limit is 4,096). `tiny-windows.json` is what the engine does with a document longer than its
single-pass limit, here set to 64 tokens so that small texts exercise it: content tokens split into windows of at
most `max_tokens` (special tokens included) overlapping by `overlap`, each framed and mean-pooled, window vectors
averaged weighted by their content tokens and L2-normalised.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from reference_embedding import chunks_of, load_tokenizer

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "test" / "fixtures" / "models" / "tiny"
GOLDEN = ROOT / "test" / "fixtures" / "golden"
WINDOWS = {"max_tokens": 64, "overlap": 16}

SHORT = [
    "Senior Python engineer, 7 years of experience with PostgreSQL and Kubernetes.",
    "Registered nurse with clinical experience in patient care at a university hospital.",
    "Financial analyst: budget, revenue growth strategy, reporting to stakeholders.",
    "Teacher of mathematics; led a team of five at a public school.",
    "Contract lawyer focused on compliance and negotiated contracts.",
    "Warehouse operations manager, supply chain and logistics.",
    "Data scientist, machine learning models in production on AWS.",
    "Customer support lead who reduced response time by 40%.",
    "Product designer: research, prototypes, design systems.",
    "Recruiter hiring engineers for a remote-first company.",
    "Job description: we are hiring a senior software engineer to join our platform team.",
    "Role: accountant. Requirements: degree in accounting, 3+ years of experience.",
    "Skills: SQL, TypeScript, Docker, Azure; certified in cloud security.",
    "Summary: bachelor of science, master of engineering, PhD in data science.",
    "References available upon request.",
    "HR generalist: human resources, benefits, employment law.",
    "Sales manager with quota attainment of 120% in 2023.",
    "Marketing lead: launched three products and grew revenue.",
    "Full time, hybrid, office location Berlin, salary competitive.",
    "Mentored junior developers and automated the deployment pipeline.",
]

UNICODE = [
    "Résumé: Zoë Ångström, ingénieure logicielle à Montréal.",
    "Développeur Java — expérience: 5 ans; anglais/français.",
    "Software engineer 東京 (Tokyo) — 日本語 and English.",
    "Engineer 🚀 who loves shipping ✨ great products 👩‍💻.",
    "Straße, Größe, Fußball: German words with ß.",
    "Ελληνικά και English mixed résumé text.",
    "Tab\tseparated\tvalues and\nnew lines\r\nin a document.",
    "Non-breaking\u00a0space and zero\u200bwidth joiner.",
    "Ｆｕｌｌｗｉｄｔｈ letters and ｄｉｇｉｔｓ １２３.",
    "Curly “quotes” and ‘apostrophes’ — plus en–dash.",
]

NEAR_EMPTY = ["a", ".", "x y", "C++", "  padded  ", "?!", "OK", "I", "42", "e-mail"]

WORDS = (
    "experience team lead senior engineer data science analyst manager product project design nurse patient "
    "care teacher school legal contract compliance operations logistics customer support cloud platform "
    "security python java sql kubernetes docker machine learning research skills degree university "
    "leadership collaboration budget revenue growth strategy built developed designed managed delivered"
).split()


def long_text(seed: int, words: int) -> str:
    rng = np.random.default_rng(seed)
    sentences, sentence = [], []
    for i in range(words):
        sentence.append(WORDS[rng.integers(len(WORDS))])
        if len(sentence) >= 8 + (i % 5):
            sentences.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    return " ".join(sentences + ([" ".join(sentence) + "."] if sentence else []))


LONG = [long_text(seed, words) for seed, words in enumerate([60, 61, 62, 63, 100, 150, 200, 400, 800, 1500])]
# One pass each under the CPU single-pass limit: the 1,500-token document, and up to ~4,000 tokens.
ONE_PASS_LONG = [long_text(100 + seed, words) for seed, words in enumerate([1360, 2500, 3600])]


def embed(session: ort.InferenceSession, passes: list[tuple[list[int], int]]) -> list[float]:
    length = max(len(ids) for ids, _ in passes)
    ids = np.array([c + [0] * (length - len(c)) for c, _ in passes], dtype=np.int64)
    mask = np.array([[1] * len(c) + [0] * (length - len(c)) for c, _ in passes], dtype=np.int64)
    hidden = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    weights = np.array([w for _, w in passes], dtype=np.float64)
    mean = (pooled.astype(np.float64) * weights[:, None]).sum(0) / weights.sum()
    return (mean / np.linalg.norm(mean)).tolist()


def golden(tokenizer, prefix, suffix, sessions, texts: list[str], policy: dict | None) -> list[dict]:
    documents = []
    for i, text in enumerate(texts):
        content = tokenizer.encode(text, add_special_tokens=False).ids
        passes = (
            chunks_of(content, prefix, suffix, policy["max_tokens"], policy["overlap"])
            if policy
            else [(prefix + content + suffix, len(content))]
        )
        documents.append(
            {
                "id": f"doc-{i:02d}",
                "text": text,
                "tokens": tokenizer.encode(text).ids,
                "passes": len(passes),
                **{role: [round(x, 8) for x in embed(s, passes)] for role, s in sessions.items()},
            }
        )
    return documents


def main() -> None:
    tokenizer, prefix, suffix = load_tokenizer(MODELS / "semantic" / "tokenizer.json")
    sessions = {role: ort.InferenceSession(str(MODELS / role / "model.onnx")) for role in ("semantic", "domain")}
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, texts, policy in [
        ("tiny.json", SHORT + UNICODE + NEAR_EMPTY + LONG + ONE_PASS_LONG, None),
        ("tiny-windows.json", SHORT + UNICODE + NEAR_EMPTY + LONG, WINDOWS),
    ]:
        documents = golden(tokenizer, prefix, suffix, sessions, texts, policy)
        (GOLDEN / name).write_text(json.dumps({"policy": policy, "documents": documents}, ensure_ascii=False) + "\n")
        longest = max(len(d["tokens"]) for d in documents)
        print(f"{GOLDEN / name}: {len(documents)} documents, {sum(d['passes'] for d in documents)} passes, longest {longest} tokens")


if __name__ == "__main__":
    main()
