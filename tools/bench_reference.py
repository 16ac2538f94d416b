"""Reference embedders for `npm run bench:embed`, in the style of sentence-transformers: texts sorted by length,
fixed-size batches padded to their longest row, mean pooling, L2 normalisation. Two back ends on the same weights:

  --engine torch   PyTorch eager, fp32 (the model class of make_test_models.py with its saved state dict)
  --engine onnx    Python onnxruntime on the same model.onnx Shortlist runs

`--device cuda --dtype fp16` runs the PyTorch model on a GPU in half precision (the GPU comparison).

Documents are split into windows exactly as Shortlist splits a document longer than its single-pass limit (same
tokenizer, window size and overlap; bench:embed runs Shortlist with `--pass-tokens 512 --overlap 64` against these
defaults), so every back end computes the same sequences and the comparison measures the runtime, not the
algorithm. Prints one JSON object.

    tools/.venv/bin/python tools/bench_reference.py --engine onnx --models DIR --in corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_embedding import chunks_of, load_tokenizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["torch", "onnx"], required=True)
    parser.add_argument("--models", type=Path, required=True)
    parser.add_argument("--in", dest="corpus", type=Path, required=True)
    parser.add_argument("--chunk-tokens", type=int, default=512)
    parser.add_argument("--overlap", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    parser.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32", help="torch weights and activations")
    args = parser.parse_args()

    texts = [json.loads(line)["text"] for line in args.corpus.read_text().splitlines() if line.strip()]
    tokenizer, prefix, suffix = load_tokenizer(args.models / "semantic" / "tokenizer.json")

    if args.engine == "torch":
        import torch

        from make_test_models import JinaBertEncoder

        torch.set_num_threads(args.threads)
        models = []
        for role in ("semantic", "domain"):
            config = json.loads((args.models / role / "config.json").read_text())
            model = JinaBertEncoder(
                config["vocab_size"], config["hidden_size"], config["num_hidden_layers"],
                config["num_attention_heads"], config["intermediate_size"],
            ).eval()
            model.load_state_dict(torch.load(args.models / role / "model.pt"))
            if args.dtype == "fp16":
                model = model.half()
            models.append(model.to(args.device))

        def run(ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
            with torch.inference_mode():
                t_ids = torch.from_numpy(ids).to(args.device)
                t_mask = torch.from_numpy(mask).to(args.device)
                # .float().cpu() waits for the GPU, so the clock includes every kernel.
                return [m(t_ids, t_mask, torch.zeros_like(t_ids)).float().cpu().numpy() for m in models]
    else:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        sessions = [ort.InferenceSession(str(args.models / r / "model.onnx"), options) for r in ("semantic", "domain")]

        def run(ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            return [s.run(["last_hidden_state"], feeds)[0] for s in sessions]

    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    rows, owners, weights = [], [], []
    real_tokens = 0
    for doc, text in enumerate(texts):
        content = tokenizer.encode(text, add_special_tokens=False).ids
        real_tokens += len(content) + len(prefix) + len(suffix)
        for ids, weight in chunks_of(content, prefix, suffix, args.chunk_tokens, args.overlap):
            rows.append(ids)
            owners.append(doc)
            weights.append(weight)
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))  # sentence-transformers sorts by length
    pooled = [np.zeros((len(rows), 0))] * 2
    computed = 0
    chunk_real = 0
    for b in range(0, len(order), args.batch_size):
        batch = order[b : b + args.batch_size]
        length = max(len(rows[i]) for i in batch)
        ids = np.array([rows[i] + [0] * (length - len(rows[i])) for i in batch], dtype=np.int64)
        mask = (np.arange(length)[None, :] < np.array([len(rows[i]) for i in batch])[:, None]).astype(np.int64)
        computed += ids.size
        chunk_real += int(mask.sum())
        for m, hidden in enumerate(run(ids, mask)):
            means = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            if pooled[m].shape[1] == 0:
                pooled[m] = np.zeros((len(rows), means.shape[1]), dtype=np.float32)
            pooled[m][batch] = means
    vectors = []
    owners_a, weights_a = np.array(owners), np.array(weights, dtype=np.float64)
    for m in range(2):
        doc_vectors = np.zeros((len(texts), pooled[m].shape[1]))
        np.add.at(doc_vectors, owners_a, pooled[m] * weights_a[:, None])
        doc_vectors /= np.linalg.norm(doc_vectors, axis=1, keepdims=True)
        vectors.append(doc_vectors)
    seconds = time.perf_counter() - start
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    print(json.dumps({
        "engine": f"python-{args.engine}" + (f"-{args.device}-{args.dtype}" if args.device != "cpu" else ""),
        "documents": len(texts),
        "tokens": real_tokens,
        "seconds": seconds,
        "cpuSeconds": cpu_seconds,
        "paddingRatio": computed / chunk_real,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
