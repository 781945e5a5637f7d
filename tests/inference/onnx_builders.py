"""Test helpers for the inference tests, in a module with a unique name (``conftest`` is ambiguous
when several test folders are collected together)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def iou(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def constant_model(
    path: Path,
    value: np.ndarray,
    in_shape: list,
    *,
    out_name: str = "output",
    in_dtype: int = TensorProto.FLOAT,
) -> Path:
    """An ONNX model whose single output is ``value`` broadcast over the input's batch.

    output = value + 0 * mean(input): the input stays live (so ORT keeps it) and the batch axis of the
    output follows the input's, which lets batch tests check that padding rows are discarded.
    """
    const = numpy_helper.from_array(value.astype(np.float32)[None], "c")  # [1, ...]
    rank = value.ndim + 1
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=[1, 2, 3], keepdims=1),  # [B,1,1,1]
        helper.make_node("Reshape", ["m", "shp"], ["m2"]),  # [B, 1, ...]
        helper.make_node("Mul", ["m2", "zero"], ["z"]),
        helper.make_node("Add", ["c", "z"], [out_name]),
    ]
    shp = numpy_helper.from_array(np.array([-1] + [1] * (rank - 1), np.int64), "shp")
    zero = numpy_helper.from_array(np.zeros((), np.float32), "zero")
    if in_dtype != TensorProto.FLOAT:
        nodes.insert(0, helper.make_node("Cast", ["x_in"], ["x"], to=TensorProto.FLOAT))
    graph = helper.make_graph(
        nodes,
        "const",
        [helper.make_tensor_value_info("x_in" if in_dtype != TensorProto.FLOAT else "x", in_dtype, in_shape)],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [in_shape[0], *value.shape])],
        initializer=[const, shp, zero],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
