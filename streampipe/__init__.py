"""streampipe: real-time video inference on a threaded, bounded, ordered pipeline.

The generic engine lives in :mod:`streampipe.engine` (no OpenCV or ONNX Runtime imports);
video sources and sinks in :mod:`streampipe.video`; models in :mod:`streampipe.inference`.
"""

__version__ = "0.1.0"
