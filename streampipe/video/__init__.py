"""Video in and out: sources (files, folders, cameras, network streams, synthetic) and sinks.

Sources: :func:`open_source` turns a string into a :class:`Source` iterating
:class:`~streampipe.frame.Frame` objects (8-bit BGR, upright, real timestamps).
Sinks follow the engine's stage protocol ``open() / process(frame) -> frame / close()``.
"""

from streampipe.video.capture import CaptureBackend, OpenCVBackend
from streampipe.video.display import DisplaySink
from streampipe.video.jsonl_sink import JsonlSink
from streampipe.video.live_source import LiveSource
from streampipe.video.open import open_source
from streampipe.video.output import open_output_check
from streampipe.video.preview import MjpegPreviewServer
from streampipe.video.source import ReconnectPolicy, Source, SourceInfo
from streampipe.video.spec import SourceSpec, parse_spec
from streampipe.video.synthetic import decode_synthetic_index, make_synthetic_frame
from streampipe.video.video_sink import ALLOWED_EXTENSIONS, VideoFileSink, check_container

__all__ = [
    "ALLOWED_EXTENSIONS",
    "CaptureBackend",
    "DisplaySink",
    "JsonlSink",
    "LiveSource",
    "MjpegPreviewServer",
    "OpenCVBackend",
    "ReconnectPolicy",
    "Source",
    "SourceInfo",
    "SourceSpec",
    "VideoFileSink",
    "check_container",
    "decode_synthetic_index",
    "make_synthetic_frame",
    "open_output_check",
    "open_source",
    "parse_spec",
]
