"""Inference layer: ONNX Runtime sessions, per-family preprocessing and decoders, the model catalog.

Public API::

    model = load_model("yolox-nano")            # catalog name, a path, or None for CenterFace
    dets = model.detect(image_bgr)             # Detections in original-frame pixels
    tensor, meta = model.preprocess(image_bgr) # the split API used by pipeline stages and benchmarks
    outputs = model.infer(tensor)
    [dets] = model.postprocess(outputs, [meta])
    model.cancel()                             # from another thread: runs in flight raise InferenceCancelled
    model.reset_cancel()                       # usable again for the next job
"""

from __future__ import annotations

from . import catalog
from .catalog import CatalogEntry, describe, list_models
from .decoders import DECODERS
from .loader import load_model
from .model import InferenceCancelled, Model
from .preprocess import Plan, PreprocessMeta
from .session import available_cpus, default_intra_op_threads
from .signature import DECODER_NAMES, InputSpec

__all__ = [
    "DECODERS",
    "DECODER_NAMES",
    "CatalogEntry",
    "InferenceCancelled",
    "InputSpec",
    "Model",
    "Plan",
    "PreprocessMeta",
    "available_cpus",
    "catalog",
    "default_intra_op_threads",
    "describe",
    "list_models",
    "load_model",
]
