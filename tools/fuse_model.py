"""A pre-optimised ("fused") copy of a jina-bert ONNX model for ONNX Runtime's CPU provider, written beside it.

    tools/.venv/bin/python tools/fuse_model.py MODEL_DIR [MODEL_DIR ...]   # e.g. .shortlist/models/random-full/semantic

For each folder, reads its fp32 ONNX file (`model.onnx` or `onnx/model.onnx`) and writes `model_fused.onnx` beside
it, plus `model_fused.json` (the source's sha256, the fused file's sha256, what was fused). The engine uses the
fused file when its `model_fused.json` names the sha256 of the model it loads (libs/embedding/src/models-dir.ts),
so a fused file left behind by an older model is never used. Nothing at run time needs Python: this runs once,
where the models are prepared.

What it rewrites, per encoder layer:
  - attention: the Q/K/V projections, head split, scaled QK^T, the additive biases, softmax, QK^T V and head merge
    become one `com.microsoft.Attention` node (one [hidden, 3 x hidden] GEMM, then per batch x head attention with
    the ALiBi tensor as `attention_bias` [1, heads, length, length] and the padding as a 2-D `mask_index`, so the
    [batch, heads, length, length] bias sum of the export is never built);
  - then ONNX Runtime's own transformer optimizer (onnxruntime.transformers, model type `bert`): GELU (the erf form)
    to `Gelu`, residual Add + bias + LayerNorm to `SkipLayerNormalization`;
  - mean pooling over the attention mask inside the graph: the output is `sentence_embedding` [batch, hidden]
    instead of `last_hidden_state` [batch, tokens, hidden].

The attention match is structural (as onnxruntime.transformers' FusionAttention matches BERT exports): a layer
whose subgraph does not have that shape stops the tool with a message and no file is written, rather than a
partly fused model. Parity with the unfused model is checked here on random inputs (cosine of pooled vectors,
padded rows included) and again by the engine's tests against the Python reference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FUSED_NAME = "model_fused.onnx"
SIDECAR_NAME = "model_fused.json"
FORMAT = 1


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Graph:
    """Producer/consumer lookups over an ONNX graph (rebuilt after every rewrite)."""

    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.graph = model.graph
        self.producer = {o: n for n in self.graph.node for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.graph.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.initializers = {t.name: t for t in self.graph.initializer}

    def constant(self, name: str) -> np.ndarray | None:
        if name in self.initializers:
            return numpy_helper.to_array(self.initializers[name])
        node = self.producer.get(name)
        if node is not None and node.op_type == "Constant":
            return numpy_helper.to_array(node.attribute[0].t)
        if node is not None and node.op_type == "Identity":
            return self.constant(node.input[0])
        return None

    def op(self, name: str, *types: str) -> onnx.NodeProto | None:
        node = self.producer.get(name)
        return node if node is not None and node.op_type in types else None

    def depends_on(self, name: str, source: str, seen: set[str] | None = None) -> bool:
        seen = seen if seen is not None else set()
        if name == source:
            return True
        if name in seen:
            return False
        seen.add(name)
        node = self.producer.get(name)
        return node is not None and any(self.depends_on(i, source, seen) for i in node.input if i)


def attribute(node: onnx.NodeProto, name: str):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return None


def linear(g: Graph, name: str) -> tuple[str, np.ndarray, np.ndarray] | None:
    """`Add(MatMul(x, W), b)` (either operand order) -> (x, W, b) with W and b constants."""
    add = g.op(name, "Add")
    if add is None:
        return None
    for m_in, b_in in ((add.input[0], add.input[1]), (add.input[1], add.input[0])):
        matmul, bias = g.op(m_in, "MatMul"), g.constant(b_in)
        if matmul is not None and bias is not None:
            weight = g.constant(matmul.input[1])
            if weight is not None and weight.ndim == 2 and bias.ndim == 1:
                return matmul.input[0], weight, bias
    return None


def heads_of(g: Graph, name: str, perm: list[int]) -> tuple[str, np.ndarray, np.ndarray] | None:
    """`Transpose(Reshape(linear), perm)` -> the linear's (x, W, b)."""
    transpose = g.op(name, "Transpose")
    if transpose is None or list(attribute(transpose, "perm") or []) != perm:
        return None
    reshape = g.op(transpose.input[0], "Reshape")
    return linear(g, reshape.input[0]) if reshape is not None else None


def addends(g: Graph, name: str, mask_input: str) -> list[str]:
    """The terms of the Adds before the softmax that involve the attention mask (the padding bias may be added
    alone, or summed once with the ALiBi tensor and shared by every layer): a term without the mask is kept whole."""
    add = g.op(name, "Add")
    if add is None or not g.depends_on(name, mask_input):
        return [name]
    return [t for i in add.input for t in addends(g, i, mask_input)]


def mask_filter_value(g: Graph, name: str) -> float | None:
    """The additive padding bias of the export: `(1 - cast(mask[:, None, None, :])) * c` -> c."""
    mul = g.op(name, "Mul")
    if mul is None:
        return None
    for a, b in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
        c, sub = g.constant(b), g.op(a, "Sub")
        if c is not None and c.size == 1 and sub is not None:
            one = g.constant(sub.input[0])
            if one is not None and one.size == 1 and float(one) == 1.0:
                return float(c.reshape(-1)[0])
    return None


def fuse_attention(model: onnx.ModelProto, num_heads: int, hidden: int) -> int:
    """Replaces every layer's attention subgraph by com.microsoft.Attention; returns how many."""
    g = Graph(model)
    mask_input = "attention_mask"
    softmaxes = [n for n in g.graph.node if n.op_type == "Softmax"]
    if not softmaxes:
        raise SystemExit("no Softmax in the graph: nothing that looks like attention")
    head_size = hidden // num_heads
    new_nodes: dict[str, list[onnx.NodeProto]] = {}  # inserted before the named node
    removed: set[str] = set()
    mask_index = "shortlist_mask_index"
    fused = 0
    for layer, softmax in enumerate(softmaxes):
        where = f"layer {layer} ({softmax.name})"
        if attribute(softmax, "axis") not in (-1, 3):
            raise SystemExit(f"{where}: softmax not over the last axis")
        scores, mask_terms, bias_terms = None, [], []
        for term in addends(g, softmax.input[0], mask_input):
            scaled = g.op(term, "Div", "Mul")
            if scaled is not None and g.op(scaled.input[0], "MatMul") is not None and g.constant(scaled.input[1]) is not None:
                scores = scaled
            elif g.depends_on(term, mask_input):
                mask_terms.append(term)
            else:
                bias_terms.append(term)
        filter_value = mask_filter_value(g, mask_terms[0]) if len(mask_terms) == 1 else None
        if scores is None or filter_value is None or len(bias_terms) != 1:
            raise SystemExit(f"{where}: expected softmax(QK^T / c + padding bias + ALiBi bias), found another shape")
        scale_const = float(g.constant(scores.input[1]).reshape(-1)[0])
        scale = 1.0 / scale_const if scores.op_type == "Div" else scale_const
        qk = g.op(scores.input[0], "MatMul")
        q = heads_of(g, qk.input[0], [0, 2, 1, 3])
        k = heads_of(g, qk.input[1], [0, 2, 3, 1])
        consumers = g.consumers.get(softmax.output[0], [])
        pv = consumers[0] if len(consumers) == 1 and consumers[0].op_type == "MatMul" else None
        v = heads_of(g, pv.input[1], [0, 2, 1, 3]) if pv is not None else None
        if q is None or k is None or v is None or not (q[0] == k[0] == v[0]):
            raise SystemExit(f"{where}: Q, K, V are not head-split linear projections of one input")
        merge = g.consumers.get(pv.output[0], [])
        transpose = merge[0] if len(merge) == 1 and merge[0].op_type == "Transpose" else None
        if transpose is None or list(attribute(transpose, "perm") or []) != [0, 2, 1, 3]:
            raise SystemExit(f"{where}: attention output is not merged back to [batch, tokens, hidden]")
        reshape = g.consumers.get(transpose.output[0], [])
        if len(reshape) != 1 or reshape[0].op_type != "Reshape":
            raise SystemExit(f"{where}: attention output is not reshaped to [batch, tokens, hidden]")
        output = reshape[0].output[0]
        for w, b in ((q[1], q[2]), (k[1], k[2]), (v[1], v[2])):
            if w.shape != (hidden, hidden) or b.shape != (hidden,):
                raise SystemExit(f"{where}: projection of shape {w.shape}, expected ({hidden}, {hidden})")

        prefix = f"shortlist_attention_{layer}"
        weights = numpy_helper.from_array(np.concatenate([q[1], k[1], v[1]], axis=1).astype(np.float32), f"{prefix}_qkv_weight")
        biases = numpy_helper.from_array(np.concatenate([q[2], k[2], v[2]]).astype(np.float32), f"{prefix}_qkv_bias")
        g.graph.initializer.extend([weights, biases])
        attributes = dict(num_heads=num_heads, mask_filter_value=filter_value)
        if not math.isclose(scale, 1.0 / math.sqrt(head_size), rel_tol=1e-6):
            attributes["scale"] = scale
        node = helper.make_node(
            "Attention",
            [q[0], weights.name, biases.name, mask_index, "", bias_terms[0]],
            [output],
            name=prefix,
            domain="com.microsoft",
            **attributes,
        )
        new_nodes.setdefault(reshape[0].output[0], []).append(node)
        removed.add(reshape[0].output[0])
        fused += 1

    # mask_index: the 2-D attention mask as int32, made once at the top.
    cast = helper.make_node("Cast", [mask_input], [mask_index], name="shortlist_mask_index_cast", to=TensorProto.INT32)
    nodes = [cast]
    for n in g.graph.node:
        if n.output and n.output[0] in removed:
            nodes.extend(new_nodes[n.output[0]])  # the Attention node takes the Reshape's place and output
        else:
            nodes.append(n)
    del g.graph.node[:]
    g.graph.node.extend(nodes)
    prune(model)
    return fused


def prune(model: onnx.ModelProto) -> None:
    """Drops nodes and initializers no graph output depends on."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    keep = []
    for n in reversed(list(graph.node)):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(i for i in n.input if i)
    del graph.node[:]
    graph.node.extend(reversed(keep))
    initializers = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(initializers)


def add_mean_pooling(model: onnx.ModelProto) -> None:
    """`last_hidden_state` -> `sentence_embedding`: the mean of each row's hidden states over its attention mask."""
    graph = model.graph
    hidden = graph.output[0].name
    graph.node.extend([
        helper.make_node("Cast", ["attention_mask"], ["pool_mask"], name="pool_cast", to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["pool_axis_last"], name="pool_axis_last", value=numpy_helper.from_array(np.array([-1], np.int64))),
        helper.make_node("Constant", [], ["pool_axis_tokens"], name="pool_axis_tokens", value=numpy_helper.from_array(np.array([1], np.int64))),
        helper.make_node("Unsqueeze", ["pool_mask", "pool_axis_last"], ["pool_mask_3d"], name="pool_unsqueeze"),
        helper.make_node("Mul", [hidden, "pool_mask_3d"], ["pool_masked"], name="pool_mul"),
        helper.make_node("ReduceSum", ["pool_masked", "pool_axis_tokens"], ["pool_sum"], name="pool_sum", keepdims=0),
        helper.make_node("ReduceSum", ["pool_mask_3d", "pool_axis_tokens"], ["pool_count"], name="pool_count", keepdims=0),
        helper.make_node("Div", ["pool_sum", "pool_count"], ["sentence_embedding"], name="pool_div"),
    ])
    dims = graph.output[0].type.tensor_type.shape.dim
    width = dims[2].dim_value if len(dims) == 3 and dims[2].dim_value > 0 else None
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", width or "hidden"]))


def check_parity(source: Path, fused: Path, hidden_out: str) -> float:
    """Least cosine between the source's mean-pooled rows and the fused model's, padded rows included."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    reference = ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    candidate = ort.InferenceSession(str(fused), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 1.0
    for rows, length in ((1, 7), (3, 40), (2, 300)):
        ids = rng.integers(5, 30, size=(rows, length)).astype(np.int64)
        mask = np.ones_like(ids)
        for r in range(1, rows):
            mask[r, length - 5 * r :] = 0  # padded rows
        ids[:, 0] = 2
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        names = {i.name for i in reference.get_inputs()}
        hidden = reference.run([hidden_out], {k: v for k, v in feeds.items() if k in names})[0]
        expected = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        names = {i.name for i in candidate.get_inputs()}
        got = candidate.run(["sentence_embedding"], {k: v for k, v in feeds.items() if k in names})[0]
        cos = (expected * got).sum(1) / np.linalg.norm(expected, axis=1) / np.linalg.norm(got, axis=1)
        worst = min(worst, float(cos.min()))
    return worst


def find_source(folder: Path) -> Path:
    for candidate in (folder / "model.onnx", folder / "onnx" / "model.onnx"):
        if candidate.exists():
            return candidate
    raise SystemExit(f"{folder}: no model.onnx or onnx/model.onnx")


def fuse(folder: Path) -> None:
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    source = find_source(folder)
    config = json.loads((folder / "config.json").read_text())
    num_heads, hidden = int(config["num_attention_heads"]), int(config["hidden_size"])
    model = onnx.load(str(source))
    outputs = [o.name for o in model.graph.output]
    if len(outputs) != 1 or outputs[0] not in ("last_hidden_state", "token_embeddings"):
        raise SystemExit(f"{source}: expected one per-token output (last_hidden_state), found {outputs}")
    hidden_out = outputs[0]
    attention = fuse_attention(model, num_heads, hidden)

    options = FusionOptions("bert")
    options.enable_attention = False  # done above, with the ALiBi bias the stock matcher does not know
    options.enable_embed_layer_norm = False  # no position table: nothing to fuse, keep the inputs as they are
    optimized = optimizer.optimize_model(
        model, model_type="bert", num_heads=num_heads, hidden_size=hidden,
        optimization_options=options, opt_level=0, use_gpu=False,
    )
    stats = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    stats["Attention"] = attention
    add_mean_pooling(optimized.model)
    if not any(o.domain == "com.microsoft" for o in optimized.model.opset_import):
        optimized.model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    target = source.parent / FUSED_NAME
    onnx.checker.check_model(optimized.model)
    onnx.save(optimized.model, str(target))
    worst = check_parity(source, target, hidden_out)
    if worst < 0.99999:
        target.unlink()
        raise SystemExit(f"{source}: fused model's vectors differ from the source's (least cosine {worst:.7f}); not written")
    sidecar = {
        "format": FORMAT,
        "source": source.name,
        "sourceSha256": sha256(source),
        "file": target.name,
        "sha256": sha256(target),
        "output": "sentence_embedding",
        "fused": stats,
        "parityMinCosine": worst,
    }
    (source.parent / SIDECAR_NAME).write_text(json.dumps(sidecar, indent=2) + "\n")
    print(f"{target}: {stats}, least cosine to the source {worst:.8f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+", help="model folders (each with config.json and model.onnx)")
    args = parser.parse_args()
    for folder in args.folders:
        fuse(folder)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
