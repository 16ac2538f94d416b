"""Random sentence-embedding models with the architecture and graph signature of the nbk ATS models.

The nbk models (0xnbk/nbk-ats-{semantic,domain}-v1-en) are fine-tunes of jina-embeddings-v2-small-en: a BERT
encoder with ALiBi attention biases instead of a position table, a GEGLU feed-forward, post-LayerNorm, and an ONNX
export that takes `input_ids`, `attention_mask`, `token_type_ids` and returns `last_hidden_state`. The hub cannot be
reached from our machines, so the tests and benchmarks use random models built here: same graph, random weights.
Random weights are fine for mechanics and speed, never for quality claims.

    tools/.venv/bin/python tools/make_test_models.py --size tiny --out test/fixtures/models/tiny   # committed
    tools/.venv/bin/python tools/make_test_models.py --size full --out .shortlist/models/random-full  # benchmarks

Each run writes `<out>/semantic/` and `<out>/domain/` (different seeds) in Hugging Face layout: `model.onnx`,
`model_quantized.onnx` (INT8, dynamic quantization), `tokenizer.json` (BERT uncased WordPiece), `config.json`. Output is deterministic for a given torch version.
Set-up: python3 -m venv tools/.venv && tools/.venv/bin/pip install -r tools/requirements.txt
"""

from __future__ import annotations

import argparse
import json
import math
import string
from pathlib import Path

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from torch import nn

SIZES = {
    # hidden, layers, heads, intermediate, vocab (None: the words below and nothing more)
    "tiny": dict(hidden=32, layers=2, heads=4, intermediate=64, vocab=None),
    "full": dict(hidden=512, layers=4, heads=8, intermediate=2048, vocab=30528),
}
SEEDS = {"semantic": 1, "domain": 2}
MAX_TOKENS = 8192

# Enough words of resumes and postings that typical test texts tokenize into words rather than letters.
WORDS = """
a about above across after again against all also an and any are as at be been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our
out over own same she should so some such than that the their them then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
experience years year team lead led senior junior engineer engineering developer software data science scientist
analyst analysis manager management product project design designer marketing sales finance financial accounting
accountant nurse nursing patient care clinical hospital health teacher teaching school student education legal law
lawyer attorney contract contracts compliance human resources recruiting recruiter hiring operations logistics
supply chain warehouse customer support service services system systems cloud platform infrastructure security
network python java javascript typescript sql postgresql kubernetes docker aws azure machine learning model models
research skills skill responsibilities requirements required preferred degree bachelor master phd university
college certified certification communication leadership collaboration stakeholders budget revenue growth strategy
built developed designed managed delivered improved reduced increased launched implemented maintained owned
mentored hired trained led migrated automated scaled optimized analyzed reported negotiated coordinated
full time part remote hybrid office location salary benefits join us our company role position job description
summary profile objective work history employment education references available upon request
""".split()

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_vocab(target_size: int | None) -> list[str]:
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = SPECIALS + chars + ["##" + c for c in string.ascii_lowercase + string.digits]
    seen = set(vocab)
    for word in WORDS:
        if word not in seen:
            vocab.append(word)
            seen.add(word)
    if target_size is not None:
        # Full-size vocabulary: the real models' embedding matrix is 30528 rows.
        vocab += [f"[unused{i}]" for i in range(target_size - len(vocab))]
    return vocab


def build_tokenizer(vocab: list[str]) -> Tokenizer:
    tokenizer = Tokenizer(WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return tokenizer


def alibi_slopes(heads: int) -> torch.Tensor:
    """jina-bert's ALiBi slopes (Press et al.): a geometric sequence per head."""

    def power_of_two(n: int) -> list[float]:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(heads).is_integer():
        return torch.tensor(power_of_two(heads))
    closest = 2 ** math.floor(math.log2(heads))
    return torch.tensor(power_of_two(closest) + power_of_two(2 * closest)[0::2][: heads - closest])


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, intermediate: int):
        super().__init__()
        self.heads, self.head_dim, self.intermediate = heads, hidden // heads, intermediate
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.gated_layers = nn.Linear(hidden, 2 * intermediate, bias=False)
        self.wo = nn.Linear(intermediate, hidden)
        self.mlp_norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, hidden)
        x = self.attention_norm(x + self.attention_output(context))  # post-LayerNorm
        gated, non_gated = self.gated_layers(x).split(self.intermediate, dim=-1)  # GEGLU
        return self.mlp_norm(x + self.wo(nn.functional.gelu(gated) * non_gated))


class JinaBertEncoder(nn.Module):
    def __init__(self, vocab: int, hidden: int, layers: int, heads: int, intermediate: int):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden, padding_idx=0)
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.embedding_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(Layer(hidden, heads, intermediate) for _ in range(layers))
        self.register_buffer("slopes", alibi_slopes(heads), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding_norm(self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids))
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        distance = (positions[None, :] - positions[:, None]).abs().to(x.dtype)
        alibi = -self.slopes[:, None, None] * distance[None]  # [heads, length, length], symmetric
        padding = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        bias = alibi[None] + padding
        for layer in self.layers:
            x = layer(x, bias)
        return x


def export_onnx(model: nn.Module, ids: torch.Tensor, mask: torch.Tensor, target: Path, per_token_output: bool = True) -> None:
    """ONNX with the nbk graph signature: int64 inputs with dynamic batch and sequence axes."""
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in inputs}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"} if per_token_output else {0: "batch"}
    torch.onnx.export(
        model, (ids, mask, torch.zeros_like(ids)), str(target), input_names=inputs,
        output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
    )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic INT8 quantization of the weight matrices. Per-channel scales, unsigned 8-bit weights and MatMul only
    (embeddings stay fp32): on all-MiniLM-L6-v2 this keeps every document's cosine to fp32 above 0.99, where the
    defaults (per-tensor, signed, embeddings too) fall to 0.93."""
    quantize_dynamic(
        str(source), str(target), per_channel=True, weight_type=QuantType.QUInt8, op_types_to_quantize=["MatMul"]
    )


def build_encoder(role: str, size: str) -> tuple[JinaBertEncoder, list[str]]:
    """The random encoder of a role and size, and its vocabulary (the same weights on every call)."""
    spec = SIZES[size]
    torch.manual_seed(SEEDS[role])
    vocab = build_vocab(spec["vocab"])
    model = JinaBertEncoder(len(vocab), spec["hidden"], spec["layers"], spec["heads"], spec["intermediate"]).eval()
    with torch.no_grad():
        for p in model.parameters():  # BERT's initialisation range keeps activations in a realistic span
            if p.dim() > 1:
                p.normal_(0.0, 0.02 if size == "full" else 0.2)
    return model, vocab


def make(role: str, size: str, out: Path) -> None:
    spec = SIZES[size]
    model, vocab = build_encoder(role, size)

    target = out / role
    target.mkdir(parents=True, exist_ok=True)
    build_tokenizer(vocab).save(str(target / "tokenizer.json"))
    ids = torch.tensor([[2, 10, 11, 3], [2, 12, 3, 0]])
    mask = (ids != 0).long()
    export_onnx(model, ids, mask, target / "model.onnx")
    config = {
        "_name_or_path": f"shortlist/random-{size}-{role}",
        "model_type": "bert",
        "architectures": ["JinaBertModel"],
        "position_embedding_type": "alibi",
        "feed_forward_type": "geglu",
        "hidden_size": spec["hidden"],
        "num_hidden_layers": spec["layers"],
        "num_attention_heads": spec["heads"],
        "intermediate_size": spec["intermediate"],
        "vocab_size": len(vocab),
        "max_position_embeddings": MAX_TOKENS,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "shortlist_random_weights": True,
    }
    (target / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if size == "full":  # the PyTorch eager reference of the benchmark loads these weights (never committed)
        torch.save(model.state_dict(), target / "model.pt")
    # INT8 variant, as the nbk repositories also ship one.
    quantize_int8(target / "model.onnx", target / "model_quantized.onnx")
    print(f"{target}: vocab {len(vocab)}, hidden {spec['hidden']}, {(target / 'model.onnx').stat().st_size} bytes")


class PooledOutput(nn.Module):
    """A model that pools over padding too ([batch, hidden], the mask ignored): its vectors would depend on the
    batch, so the engine must refuse it."""

    def __init__(self, encoder: JinaBertEncoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.encoder(input_ids, attention_mask, token_type_ids).mean(1)


def make_pooled_output_model(out: Path) -> None:
    torch.manual_seed(3)
    spec = SIZES["tiny"]
    model = PooledOutput(
        JinaBertEncoder(len(build_vocab(None)), spec["hidden"], spec["layers"], spec["heads"], spec["intermediate"])
    ).eval()
    ids = torch.tensor([[2, 10, 3]])
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, ids, torch.ones_like(ids), out / "model.onnx", per_token_output=False)


class SentenceEmbedding(nn.Module):
    """An export that pools itself (masked mean, like sentence-transformers' ONNX exports with the pooling inside)
    and takes no token_type_ids: output `sentence_embedding` [batch, hidden]. The engine accepts it."""

    def __init__(self, encoder: JinaBertEncoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids, attention_mask, torch.zeros_like(input_ids))
        mask = attention_mask[..., None].to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1)


def make_sentence_embedding_model(out: Path) -> None:
    """The tiny semantic encoder (same weights) as a self-pooling export without token_type_ids."""
    encoder, _ = build_encoder("semantic", "tiny")
    ids = torch.tensor([[2, 10, 11, 3], [2, 12, 3, 0]])
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        SentenceEmbedding(encoder), (ids, (ids != 0).long()), str(out / "model.onnx"),
        input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "sentence_embedding": {0: "batch"}},
        opset_version=17, dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for role in SEEDS:
        make(role, args.size, args.out)
    if args.size == "tiny":  # beside the good ones: a broken model for the bad-input tests, a self-pooling one
        make_pooled_output_model(args.out.parent / "pooled-output")
        make_sentence_embedding_model(args.out.parent / "sentence-embedding")


if __name__ == "__main__":
    main()
