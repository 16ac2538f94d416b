"""What the Python references share with Shortlist's engine: the tokenizer set-up and the chunking policy.

A document's content tokens are split into chunks of at most `max_tokens` (special tokens included) overlapping
by `overlap`, each framed by the tokenizer's special tokens; a chunk weighs its content tokens in the document's
mean (libs/embedding/src/chunking.ts is the TypeScript side).
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer


def load_tokenizer(path: Path) -> tuple[Tokenizer, list[int], list[int]]:
    """The tokenizer, never truncating or padding, and the special tokens it frames one sequence with."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()  # documents are chunked, never truncated
    tokenizer.no_padding()
    framed, bare = tokenizer.encode("a").ids, tokenizer.encode("a", add_special_tokens=False).ids
    at = framed.index(bare[0])
    return tokenizer, framed[:at], framed[at + len(bare) :]


def chunks_of(content: list[int], prefix: list[int], suffix: list[int], max_tokens: int, overlap: int) -> list[tuple[list[int], int]]:
    """(framed ids, weight) per chunk; every content token lands in at least one chunk."""
    window = max_tokens - len(prefix) - len(suffix)
    stride = window - overlap
    chunks, start = [], 0
    while True:
        piece = content[start : start + window]
        chunks.append((prefix + piece + suffix, len(piece)))
        if start + window >= len(content):
            return chunks
        start += stride
