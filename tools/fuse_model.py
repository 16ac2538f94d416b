"""A pre-optimised ("fused") copy of a jina-bert ONNX model for ONNX Runtime's CPU provider, written beside it.

    tools/.venv/bin/python tools/fuse_model.py MODEL_DIR [MODEL_DIR ...]   # e.g. .shortlist/models/random-full/semantic

For each folder, reads its fp32 ONNX file (`model.onnx` or `onnx/model.onnx`) and writes `model_fused.onnx` beside
it, plus `model_fused.json` (the source's sha256, the fused file's sha256, what was fused), for the CPU; and
`model_fused_gpu.onnx` + `.json`, the same fusions in fp16 without blocked attention, for the WebGPU and CUDA
providers. The engine uses the
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
FORMAT = 1
INT8_SOURCE = "model_quantized.onnx"  # the INT8 export of the same model (tools/make_test_models.py: quantize_int8)
INT8_FUSED_NAME = "model_quantized_fused.onnx"
DEFAULT_BLOCK = 1024
GPU_FUSED_NAME = "model_fused_gpu.onnx"  # fp16, attention not blocked: for the WebGPU and CUDA providers
# fp16 keeps ~3 significant digits per activation: pooled vectors stay within cosine 0.999 of fp32 (measured: see
# the sidecar's parityMinCosine), as PyTorch fp16 inference does.
GPU_FLOOR = 0.999


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
    """The additive padding bias of the export: `(1 - cast(mask[:, None, None, :])) * c` -> c, or (transformers'
    SDPA-style BERT exports) `where(mask_bool, 0, c)` -> c."""
    where = g.op(name, "Where")
    if where is not None:
        kept, masked = g.constant(where.input[1]), g.constant(where.input[2])
        if kept is not None and masked is not None and kept.size == 1 and masked.size == 1 and float(kept.reshape(-1)[0]) == 0.0:
            return max(float(masked.reshape(-1)[0]), -3.0e38)  # finfo.min: kept finite once added to a score
        return None
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


def split_scale(g: Graph, name: str) -> tuple[float, str, str] | None:
    """`MatMul(Mul(q, a), Mul(k_t, b))` with constant scalars a, b -> (a * b, q, k_t)."""
    matmul = g.op(name, "MatMul")
    if matmul is None:
        return None
    sides = [g.op(i, "Mul") for i in matmul.input]
    if any(m is None for m in sides):
        return None
    consts = [g.constant(m.input[1]) for m in sides]
    if any(c is None or c.size != 1 for c in consts):
        return None
    return float(consts[0].reshape(-1)[0]) * float(consts[1].reshape(-1)[0]), sides[0].input[0], sides[1].input[0]


def fuse_attention(model: onnx.ModelProto, num_heads: int, hidden: int) -> tuple[int, set[str]]:
    """Replaces every layer's attention subgraph by com.microsoft.Attention; returns how many, and the names of the
    additive attention biases (ALiBi) they take."""
    g = Graph(model)
    mask_input = "attention_mask"
    softmaxes = [n for n in g.graph.node if n.op_type == "Softmax"]
    if not softmaxes:
        raise SystemExit("no Softmax in the graph: nothing that looks like attention")
    head_size = hidden // num_heads
    new_nodes: dict[str, list[onnx.NodeProto]] = {}  # inserted before the named node
    removed: set[str] = set()
    mask_index = "shortlist_mask_index"
    fused, alibi_names = 0, set()
    for layer, softmax in enumerate(softmaxes):
        where = f"layer {layer} ({softmax.name})"
        if attribute(softmax, "axis") not in (-1, 3):
            raise SystemExit(f"{where}: softmax not over the last axis")
        scores, mask_terms, bias_terms = None, [], []
        for term in addends(g, softmax.input[0], mask_input):
            scaled = g.op(term, "Div", "Mul")
            if scaled is not None and g.op(scaled.input[0], "MatMul") is not None and g.constant(scaled.input[1]) is not None:
                scores = scaled
                scale_const = float(g.constant(scores.input[1]).reshape(-1)[0])
                scale = 1.0 / scale_const if scores.op_type == "Div" else scale_const
                q_in, k_in = g.op(scores.input[0], "MatMul").input
            elif (split := split_scale(g, term)) is not None:  # SDPA export: sqrt(scale) on Q and on K^T
                scores = g.op(term, "MatMul")
                scale, q_in, k_in = split
            elif g.depends_on(term, mask_input):
                mask_terms.append(term)
            else:
                bias_terms.append(term)
        filter_value = mask_filter_value(g, mask_terms[0]) if len(mask_terms) == 1 else None
        if scores is None or filter_value is None or len(bias_terms) > 1:
            raise SystemExit(f"{where}: expected softmax(QK^T / c + padding bias [+ ALiBi bias]), found another shape")
        q = heads_of(g, q_in, [0, 2, 1, 3])
        k = heads_of(g, k_in, [0, 2, 3, 1])
        probs = softmax.output[0]
        consumers = g.consumers.get(probs, [])
        guard = next((n for n in consumers if n.op_type == "Where"), None)
        if guard is not None and len(consumers) == 2 and any(n.op_type == "IsNaN" for n in consumers):
            probs = guard.output[0]  # SDPA export: where(isnan(p), 0, p) for fully masked rows, which padding never makes
            consumers = g.consumers.get(probs, [])
        pv = consumers[0] if len(consumers) == 1 and consumers[0].op_type == "MatMul" else None
        v = heads_of(g, pv.input[1], [0, 2, 1, 3]) if pv is not None else None
        if q is None or k is None or v is None or not (q[0] == k[0] == v[0]):
            raise SystemExit(f"{where}: Q, K, V are not head-split linear projections of one input")
        merge = g.consumers.get(pv.output[0], [])
        same_shape = [n for n in merge if n.op_type == "Reshape"]
        if len(same_shape) == 1 and all(n.op_type in ("Reshape", "Shape") for n in merge):
            merge = g.consumers.get(same_shape[0].output[0], [])  # SDPA export: a reshape to its own shape first
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
            [q[0], weights.name, biases.name, mask_index, "", *bias_terms[:1]],
            [output],
            name=prefix,
            domain="com.microsoft",
            **attributes,
        )
        new_nodes.setdefault(reshape[0].output[0], []).append(node)
        removed.add(reshape[0].output[0])
        alibi_names.update(bias_terms)
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
    return fused, alibi_names


def alibi_slopes_of(model: onnx.ModelProto, bias_name: str, heads: int) -> np.ndarray:
    """The per-head ALiBi slopes behind the graph's bias tensor, read by running the graph at 16 tokens, and checked
    to be exactly `-slope[h] * |i - j|` (else the blocked attention, which computes that form itself, is refused)."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    probe.graph.output.append(helper.make_tensor_value_info(bias_name, TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    length = 16
    ids = np.full((1, length), 5, np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    names = {i.name for i in session.get_inputs()}
    bias = session.run(None, {k: v for k, v in feeds.items() if k in names})[0]
    if bias.shape != (1, heads, length, length):
        raise SystemExit(f"ALiBi bias of shape {bias.shape}, expected (1, {heads}, {length}, {length})")
    slopes = -bias[0, :, 0, 1]
    distance = np.abs(np.arange(length)[None, :] - np.arange(length)[:, None]).astype(np.float32)
    if not np.array_equal(bias[0], (-slopes[:, None, None]).astype(np.float32) * distance[None]):
        raise SystemExit("the attention bias is not -slope x |i - j| per head: not ALiBi, no blocked attention")
    return slopes.astype(np.float32)


def block_long_attention(model: onnx.ModelProto, slopes: np.ndarray, block: int) -> int:
    """Bounded memory for long inputs: above `block` tokens, each Attention node gives way to a blocked attention.

    The fused Attention node takes the ALiBi bias as a [1, heads, L, L] tensor and builds [batch, heads, L, L]
    scores beside it: 2 GiB each at 8,192 tokens and 8 heads. Above `block` tokens (one If per layer on the input
    length) the layer instead projects Q, K, V once, then an ONNX Loop takes the queries `block` rows at a time:
    that block's ALiBi bias [1, heads, block, L] is computed from the token positions, and a
    com.microsoft.MultiHeadAttention node (queries of the block against all keys, the padding as key_padding_mask)
    gives the block's output, appended to the previous blocks'. The largest tensors are then [heads, block, L],
    and the full [1, heads, L, L] bias is only built (once, shared by the layers) at `block` tokens or fewer.
    Returns how many layers were rewritten."""
    graph = model.graph
    attentions = [n for n in graph.node if n.op_type == "Attention" and n.domain == "com.microsoft"]
    if not attentions:
        return 0
    heads = int(attribute(attentions[0], "num_heads"))
    hidden = numpy_helper.to_array(next(t for t in graph.initializer if t.name == attentions[0].input[1])).shape[0]
    const = lambda name, value: graph.initializer.append(numpy_helper.from_array(value, name)) or name  # noqa: E731
    p = "shortlist_long"
    const(f"{p}_block", np.array(block, np.int64))
    const(f"{p}_neg_slopes", (-slopes).reshape(1, heads, 1, 1).astype(np.float32))
    const(f"{p}_zero", np.array(0, np.int64))
    const(f"{p}_one", np.array(1, np.int64))
    const(f"{p}_axis0", np.array([0], np.int64))
    const(f"{p}_axis1", np.array([1], np.int64))
    const(f"{p}_start0", np.array([0], np.int64))
    const(f"{p}_split", np.array([hidden, hidden, hidden], np.int64))
    top = [
        helper.make_node("Shape", ["input_ids"], [f"{p}_ids_shape"], name=f"{p}_ids_shape"),
        helper.make_node("Gather", [f"{p}_ids_shape", f"{p}_one"], [f"{p}_length"], name=f"{p}_length", axis=0),
        helper.make_node("Greater", [f"{p}_length", f"{p}_block"], [f"{p}_is_long"], name=f"{p}_is_long"),
        helper.make_node("Range", [f"{p}_zero", f"{p}_length", f"{p}_one"], [f"{p}_positions"], name=f"{p}_positions"),
        helper.make_node("Sub", [f"{p}_length", f"{p}_one"], [f"{p}_length_1"], name=f"{p}_length_1"),
        helper.make_node("Add", [f"{p}_length_1", f"{p}_block"], [f"{p}_length_b"], name=f"{p}_length_b"),
        helper.make_node("Div", [f"{p}_length_b", f"{p}_block"], [f"{p}_blocks"], name=f"{p}_blocks"),
    ]

    def alibi(positions_i: str, out: str, tag: str) -> list[onnx.NodeProto]:
        """-slope[h] * |j - i| over rows `positions_i` and all columns: [1, heads, rows, L]."""
        return [
            helper.make_node("Unsqueeze", [positions_i, f"{p}_axis1"], [f"{tag}_i"], name=f"{tag}_i"),
            helper.make_node("Unsqueeze", [f"{p}_positions", f"{p}_axis0"], [f"{tag}_j"], name=f"{tag}_j"),
            helper.make_node("Sub", [f"{tag}_j", f"{tag}_i"], [f"{tag}_diff"], name=f"{tag}_diff"),
            helper.make_node("Abs", [f"{tag}_diff"], [f"{tag}_abs"], name=f"{tag}_abs"),
            helper.make_node("Cast", [f"{tag}_abs"], [f"{tag}_distance"], name=f"{tag}_distance", to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{p}_neg_slopes", f"{tag}_distance"], [out], name=f"{tag}_bias"),
        ]

    # The full bias, only when short (the long branch gives a placeholder nobody reads).
    full_bias = f"{p}_alibi"
    short_graph = helper.make_graph(
        alibi(f"{p}_positions", f"{p}_alibi_full", f"{p}_alibi_full"), f"{p}_alibi_short", [],
        [helper.make_tensor_value_info(f"{p}_alibi_full", TensorProto.FLOAT, None)],
    )
    long_graph = helper.make_graph(
        [helper.make_node("Identity", [f"{p}_neg_slopes"], [f"{p}_alibi_unused"], name=f"{p}_alibi_unused")],
        f"{p}_alibi_long", [], [helper.make_tensor_value_info(f"{p}_alibi_unused", TensorProto.FLOAT, None)],
    )
    top.append(helper.make_node("If", [f"{p}_is_long"], [full_bias], name=f"{p}_alibi_if",
                                then_branch=long_graph, else_branch=short_graph))

    replaced: dict[str, onnx.NodeProto] = {}
    for layer, node in enumerate(attentions):
        x, weight, bias, mask = node.input[0], node.input[1], node.input[2], node.input[3]
        q = f"{p}{layer}"
        scale = attribute(node, "scale")
        mha_attributes = dict(num_heads=heads, mask_filter_value=float(attribute(node, "mask_filter_value")))
        if scale is not None:
            mha_attributes["scale"] = float(scale)
        step = f"{q}_step"
        body = helper.make_graph(
            [
                helper.make_node("Mul", [f"{step}_i", f"{p}_block"], [f"{step}_start"], name=f"{step}_start"),
                helper.make_node("Add", [f"{step}_start", f"{p}_block"], [f"{step}_end"], name=f"{step}_end"),
                helper.make_node("Unsqueeze", [f"{step}_start", f"{p}_axis0"], [f"{step}_start1"], name=f"{step}_start1"),
                helper.make_node("Unsqueeze", [f"{step}_end", f"{p}_axis0"], [f"{step}_end1"], name=f"{step}_end1"),
                helper.make_node("Slice", [f"{q}_q", f"{step}_start1", f"{step}_end1", f"{p}_axis1"], [f"{step}_q"], name=f"{step}_q"),
                helper.make_node("Slice", [f"{p}_positions", f"{step}_start1", f"{step}_end1", f"{p}_axis0"], [f"{step}_rows"], name=f"{step}_rows"),
                *alibi(f"{step}_rows", f"{step}_bias", f"{step}_alibi"),
                helper.make_node(
                    "MultiHeadAttention", [f"{step}_q", f"{q}_k", f"{q}_v", "", mask, f"{step}_bias"], [f"{step}_out"],
                    name=f"{step}_attention", domain="com.microsoft", **mha_attributes,
                ),
                helper.make_node("Concat", [f"{step}_acc", f"{step}_out"], [f"{step}_acc_out"], name=f"{step}_concat", axis=1),
                helper.make_node("Identity", [f"{step}_cond"], [f"{step}_cond_out"], name=f"{step}_cond_out"),
            ],
            f"{q}_blocks_body",
            [
                helper.make_tensor_value_info(f"{step}_i", TensorProto.INT64, []),
                helper.make_tensor_value_info(f"{step}_cond", TensorProto.BOOL, []),
                helper.make_tensor_value_info(f"{step}_acc", TensorProto.FLOAT, None),
            ],
            [
                helper.make_tensor_value_info(f"{step}_cond_out", TensorProto.BOOL, []),
                helper.make_tensor_value_info(f"{step}_acc_out", TensorProto.FLOAT, None),
            ],
        )
        long_branch = helper.make_graph(
            [
                helper.make_node("MatMul", [x, weight], [f"{q}_qkv_mm"], name=f"{q}_qkv_mm"),
                helper.make_node("Add", [f"{q}_qkv_mm", bias], [f"{q}_qkv"], name=f"{q}_qkv"),
                helper.make_node("Split", [f"{q}_qkv", f"{p}_split"], [f"{q}_q", f"{q}_k", f"{q}_v"], name=f"{q}_split", axis=2),
                helper.make_node("Slice", [f"{q}_q", f"{p}_start0", f"{p}_start0", f"{p}_axis1"], [f"{q}_empty"], name=f"{q}_empty"),
                helper.make_node("Loop", [f"{p}_blocks", "", f"{q}_empty"], [f"{q}_long_out"], name=f"{q}_loop", body=body),
            ],
            f"{q}_long", [], [helper.make_tensor_value_info(f"{q}_long_out", TensorProto.FLOAT, None)],
        )
        short_node = onnx.NodeProto()
        short_node.CopyFrom(node)
        short_node.input[5] = full_bias
        short_node.output[0] = f"{q}_short_out"
        short_branch = helper.make_graph(
            [short_node], f"{q}_short", [], [helper.make_tensor_value_info(f"{q}_short_out", TensorProto.FLOAT, None)]
        )
        replaced[node.name] = helper.make_node(
            "If", [f"{p}_is_long"], [node.output[0]], name=f"{q}_if", then_branch=long_branch, else_branch=short_branch
        )
    nodes = top + [replaced.get(n.name, n) for n in graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    prune(model)
    return len(attentions)


def inputs_of(node: onnx.NodeProto) -> set[str]:
    """A node's inputs, with the outer-scope names its subgraphs (If, Loop) read."""
    names = {i for i in node.input if i}
    for a in node.attribute:
        for sub in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
            for n in sub.node:
                names.update(inputs_of(n))
    return names


def prune(model: onnx.ModelProto) -> None:
    """Drops nodes and initializers no graph output depends on."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    keep = []
    for n in reversed(list(graph.node)):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(inputs_of(n))
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


def check_parity(source: Path, fused: Path, hidden_out: str, block: int) -> float:
    """Least cosine between the source's mean-pooled rows and the fused model's, padded rows included (and, with a
    blocked attention, at a length of several blocks plus a partial one)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    reference = ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    candidate = ort.InferenceSession(str(fused), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 1.0
    for rows, length in ((1, 7), (3, 40), (2, 300)) + (((2, 2 * block + 37),) if block else ()):
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


def fused_graph(source: Path, num_heads: int, hidden: int) -> tuple[onnx.ModelProto, dict, str, set[str]]:
    """The source model with fused attention and ONNX Runtime's BERT fusions; with what was fused, the source's
    per-token output name and the attention biases (ALiBi) the fused attentions take."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    model = onnx.load(str(source))
    outputs = [o.name for o in model.graph.output]
    if len(outputs) != 1 or outputs[0] not in ("last_hidden_state", "token_embeddings"):
        raise SystemExit(f"{source}: expected one per-token output (last_hidden_state), found {outputs}")
    attention, biases = fuse_attention(model, num_heads, hidden)

    options = FusionOptions("bert")
    options.enable_attention = False  # done above, with the ALiBi bias the stock matcher does not know
    options.enable_embed_layer_norm = False  # no position table: nothing to fuse, keep the inputs as they are
    optimized = optimizer.optimize_model(
        model, model_type="bert", num_heads=num_heads, hidden_size=hidden,
        optimization_options=options, opt_level=0, use_gpu=False,
    )
    stats = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    stats["Attention"] = attention
    return optimized.model, stats, outputs[0], biases


def block_attention(source: Path, model: onnx.ModelProto, biases: set[str], num_heads: int, block: int) -> int:
    """Blocked attention above `block` tokens (block_long_attention), where the fused attentions share one ALiBi
    bias; returns the attentions blocked (0: none, or no ALiBi)."""
    if not biases or block <= 0:
        return 0
    slopes = [alibi_slopes_of(model, name, num_heads) for name in sorted(biases)]
    if any(not np.array_equal(s, slopes[0]) for s in slopes):
        raise SystemExit(f"{source}: layers with different ALiBi slopes: no blocked attention")
    return block_long_attention(model, slopes[0], block)


def pooled(model: onnx.ModelProto) -> onnx.ModelProto:
    """Mean pooling inside the graph, and the contrib-op domain declared."""
    add_mean_pooling(model)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def write_sidecar(target: Path, source: Path, **fields) -> None:
    """`target`'s sidecar (`target` with .json): the file it was made from and both files' sha256, which the engine
    checks before it runs `target` (libs/embedding/src/models-dir.ts), then `fields`."""
    sidecar = {
        "format": FORMAT, "source": source.name, "sourceSha256": sha256(source), "file": target.name,
        "sha256": sha256(target), "output": "sentence_embedding", **fields,
    }
    target.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")


def write_checked(
    source: Path, hidden_out: str, model: onnx.ModelProto, target: Path, sidecar: dict, floor: float, parity_block: int,
) -> float:
    """Saves `model` as `target` with its sidecar when its pooled vectors match the source's (per-token output
    `hidden_out`) to cosine >= `floor`; else writes nothing and stops."""
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    worst = check_parity(source, target, hidden_out, parity_block)
    if worst < floor:
        target.unlink()
        raise SystemExit(f"{source}: {target.name}'s vectors differ from the source's (least cosine {worst:.7f}); not written")
    write_sidecar(target, source, **sidecar, parityMinCosine=worst)
    return worst


def fold_padding_into_bias(model: onnx.ModelProto) -> int:
    """Each fused Attention takes the padding as part of its additive bias instead of `mask_index`: -10,000 on padded
    keys, plus the ALiBi bias where the model has one ([batch, heads, length, length], built once for all layers;
    full size, since WebGPU's attention shader indexes it without broadcasting). ONNX Runtime's WebGPU provider has
    no Attention kernel for a `mask_index` and ran those nodes on the CPU (measured on an H200: 4.4x slower than
    the unfused graph, with 8 CPU cores busy). Returns the Attention nodes changed."""
    graph = model.graph
    attentions = [n for n in graph.node if n.op_type == "Attention"]
    if not attentions:
        return 0
    biases = {n.input[5] if len(n.input) > 5 else "" for n in attentions}
    if len(biases) != 1:
        raise SystemExit("fused attentions with different attention biases: cannot fold the padding into one")
    alibi = biases.pop()
    const = lambda name, value: helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(value))
    node = lambda op, inputs, out: helper.make_node(op, inputs, [out], name=out)
    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["shortlist_pad_keep"], name="shortlist_pad_keep", to=TensorProto.FLOAT),
        const("shortlist_pad_one", np.array(1.0, np.float32)),
        const("shortlist_pad_filter", np.array(-10000.0, np.float32)),
        const("shortlist_pad_key_axes", np.array([1, 2], np.int64)),
        node("Sub", ["shortlist_pad_one", "shortlist_pad_keep"], "shortlist_pad_drop"),
        node("Mul", ["shortlist_pad_drop", "shortlist_pad_filter"], "shortlist_pad_2d"),
        node("Unsqueeze", ["shortlist_pad_2d", "shortlist_pad_key_axes"], "shortlist_pad_keys"),  # [batch, 1, 1, keys]
    ]
    if alibi:  # [1, heads, length, length] + [batch, 1, 1, keys]
        nodes.append(node("Add", [alibi, "shortlist_pad_keys"], "shortlist_attention_bias"))
    else:  # full size, as WebGPU reads it without broadcasting: + zeros [batch, 1, queries, 1] + zeros [1, heads, 1, 1]
        heads = {attribute(n, "num_heads") for n in attentions}
        if len(heads) != 1:
            raise SystemExit("fused attentions with different head counts: cannot fold the padding into one bias")
        nodes += [
            const("shortlist_pad_zero", np.array(0.0, np.float32)),
            const("shortlist_pad_query_axes", np.array([1, 3], np.int64)),
            const("shortlist_pad_heads", np.zeros((1, heads.pop(), 1, 1), np.float32)),
            node("Mul", ["shortlist_pad_keep", "shortlist_pad_zero"], "shortlist_pad_zeros"),
            node("Unsqueeze", ["shortlist_pad_zeros", "shortlist_pad_query_axes"], "shortlist_pad_queries"),
            node("Add", ["shortlist_pad_keys", "shortlist_pad_queries"], "shortlist_pad_rows"),
            node("Add", ["shortlist_pad_rows", "shortlist_pad_heads"], "shortlist_attention_bias"),
        ]
    first = min(list(graph.node).index(n) for n in attentions)
    for offset, n in enumerate(nodes):
        graph.node.insert(first + offset, n)
    for n in attentions:
        while len(n.input) < 6:
            n.input.append("")
        n.input[3] = ""
        n.input[5] = "shortlist_attention_bias"
    prune(model)
    return len(attentions)


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """Weights and activations in fp16 (ONNX Runtime's converter, as its transformer optimizer does for GPUs), the
    inputs and the pooled output fp32, and the mean pooling itself in fp32: a sum over 8,192 tokens can pass fp16's
    65,504."""
    from onnxruntime.transformers.onnx_model import OnnxModel

    wrapped = OnnxModel(model)
    pooling = [n.name for n in model.graph.node if n.name.startswith("pool_")]
    wrapped.convert_float_to_float16(keep_io_types=True, node_block_list=pooling)
    wrapped.topological_sort()
    return wrapped.model


def fuse(folder: Path, block: int, gpu_precision: str = "fp16") -> None:
    source = find_source(folder)
    config = json.loads((folder / "config.json").read_text())
    num_heads, hidden = int(config["num_attention_heads"]), int(config["hidden_size"])

    # One fusion pass for both copies: the GPU copy starts from a copy of the graph before the CPU one is blocked.
    model, stats, hidden_out, biases = fused_graph(source, num_heads, hidden)
    gpu_model = onnx.ModelProto()
    gpu_model.CopyFrom(model)
    gpu_stats = dict(stats)

    blocked = block_attention(source, model, biases, num_heads, block)
    if blocked:
        stats["BlockedAttention"] = blocked
    target = source.parent / FUSED_NAME
    sidecar = {"fused": stats, "attentionBlock": block if blocked else None}
    model = pooled(model)
    worst = write_checked(source, hidden_out, model, target, sidecar, 0.99999, block if blocked else 0)
    print(f"{target}: {stats}, least cosine to the source {worst:.8f}")

    if (source.parent / INT8_SOURCE).exists():
        quantize_fused(source, target, gelu_fed_matmuls(model), hidden_out, int(config["num_hidden_layers"]))

    # The GPU copy (last: a model it cannot be made for still gets the CPU copies): no blocked attention (a GPU
    # holds an 8k pass's full attention, and control flow runs on the CPU: the If/Loop graph gave NaN on WebGPU), the
    # padding folded into the attention bias, weights and activations in fp16 (fp32 on request, to measure what
    # the fusions alone are worth on a GPU).
    gpu_model = pooled(gpu_model)
    gpu_stats["PaddingInBias"] = fold_padding_into_bias(gpu_model)
    gpu = source.parent / GPU_FUSED_NAME
    fp16 = gpu_precision == "fp16"
    sidecar = {"fused": gpu_stats, "precision": gpu_precision}
    worst = write_checked(
        source, hidden_out, to_fp16(gpu_model) if fp16 else gpu_model, gpu, sidecar, GPU_FLOOR if fp16 else 0.99999, 0,
    )
    print(f"{gpu}: {gpu_precision}, {gpu_stats}, least cosine to the source {worst:.6f}")


GELU_OPS = {"Gelu", "BiasGelu", "FastGelu", "QuickGelu"}


def gelu_fed_matmuls(model: onnx.ModelProto) -> list[str]:
    """The MatMuls whose input is a GELU's output (BERT's feed-forward down-projection) or a product with one
    (jina-v2's GEGLU: gelu(gate) * up): the ones dynamic quantization hurts most (below)."""
    producer = {out: n for n in model.graph.node for out in n.output}
    is_gelu = lambda name: name in producer and producer[name].op_type in GELU_OPS  # noqa: E731
    found = []
    for n in model.graph.node:
        if n.op_type != "MatMul" or n.input[0] not in producer:
            continue
        feeder = producer[n.input[0]]
        # An unnamed node cannot be excluded by name (and "" would exclude every unnamed MatMul).
        if n.name and (feeder.op_type in GELU_OPS or (feeder.op_type == "Mul" and any(map(is_gelu, feeder.input)))):
            found.append(n.name)
    return found


def quantize_fused(source: Path, fused: Path, kept: list[str], hidden_out: str, layers: int) -> None:
    """The INT8 copy of the fused graph, beside the model's own INT8 file (which the engine loads with `quantized`):
    dynamic quantization of the MatMul weights, signed per output channel in a 7-bit range (`reduce_range`), except
    the feed-forward down-projections (`kept`: gelu_fed_matmuls of the fused graph), which stay fp32.

    Why those stay fp32: dynamic quantization gives a MatMul's input one scale for the whole batch, and the input of
    the down-projection (after GELU) is wide and skewed. On all-MiniLM-L6-v2 (24 texts, Python onnxruntime, least
    cosine to fp32) quantizing every MatMul gave 0.986; leaving the down-projections in fp32 gave 0.9975, leaving
    the attention output or the up-projections out instead changed nothing (0.987, 0.986). ONNX Runtime's 8-bit
    MatMulNBits (inputs quantized per 32-value block) was as close (0.9998) but no faster than fp32.

    Why signed with a 7-bit range: u8 x s8 is the fast path of CPUs with VNNI (on this project's AVX-512 VNNI
    Xeon, 1.5x fp32 where unsigned u8 x u8 weights ran at fp32's speed), and without VNNI (AVX2) ONNX Runtime's
    u8 x s8 kernel adds pairs of products in 16 bits, which full 8-bit weights overflow (the tiny model's vectors
    fell to cosine 0.615 of fp32 there); 7-bit weights cannot (2 x 255 x 64 < 32,768). The 7-bit range costs a
    little precision (MiniLM 0.9950 vs 0.9975 with 8 bits), far less than the down-projections gave back.

    The fused Attention stays fp32: QAttention takes no ALiBi bias, and on all-MiniLM-L6-v2 quantizing it lowered
    the least cosine to fp32. Checked against the fp32 source on the same random inputs as the fused copy
    (recorded, not a gate: random weights say little about INT8 quality, which bench:embed measures on a real
    model)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ops = ["MatMul"]
    if len(kept) != layers:
        print(
            f"warning: {fused}: {len(kept)} GELU-fed MatMuls for {layers} layers; the down-projections not found are"
            " quantized, and INT8 quality will be lower (is GELU fused? see gelu_fed_matmuls)",
            file=sys.stderr,
        )
    target = source.parent / INT8_FUSED_NAME
    quantize_dynamic(
        str(fused), str(target), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
        op_types_to_quantize=ops, nodes_to_exclude=kept,
        extra_options={"DefaultTensorType": TensorProto.FLOAT},  # contrib ops' outputs have no inferred type
    )
    worst = check_parity(source, target, hidden_out, 0)
    write_sidecar(
        target, source.parent / INT8_SOURCE, fusedFrom=fused.name,
        quantization={"weights": "int8 in a 7-bit range, per channel", "ops": ops, "fp32": kept},
        fp32MinCosine=worst,
    )
    print(f"{target}: INT8 ({', '.join(ops)}; {len(kept)} down-projections fp32), least cosine to the fp32 source {worst:.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+", help="model folders (each with config.json and model.onnx)")
    parser.add_argument(
        "--attention-block", type=int, default=DEFAULT_BLOCK,
        help=f"above this many tokens, attention runs in blocks of this many query rows (default {DEFAULT_BLOCK}; 0: never)",
    )
    parser.add_argument(
        "--gpu-precision", choices=["fp16", "fp32"], default="fp16",
        help="precision of the GPU copy (model_fused_gpu.onnx; default fp16)",
    )
    args = parser.parse_args()
    for folder in args.folders:
        fuse(folder, args.attention_block, args.gpu_precision)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
