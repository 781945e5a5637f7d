"""The generic streaming engine: bounded channels, stages, ordered reassembly, metrics.

Deliberately free of OpenCV and ONNX Runtime so it can be tested with plain integers in
microseconds; the video and model layers plug their work in as stage functions.
"""

from .channel import Channel, ChannelStats, Policy
from .errors import ShutdownTimeout, StageError
from .histogram import Histogram
from .metrics import PipelineSnapshot, StageSnapshot
from .pipeline import SOURCE_STAGE, Pipeline
from .reorder import TOMBSTONE, Reorderer
from .stage import Stage, Worker

__all__ = [
    "SOURCE_STAGE",
    "TOMBSTONE",
    "Channel",
    "ChannelStats",
    "Histogram",
    "Pipeline",
    "PipelineSnapshot",
    "Policy",
    "Reorderer",
    "ShutdownTimeout",
    "Stage",
    "StageError",
    "StageSnapshot",
    "Worker",
]
