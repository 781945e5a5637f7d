"""Everything one ``run`` job needs to know, as one plain value (built by the CLI or by code)."""

from __future__ import annotations

from dataclasses import dataclass, field

LIVE_QUEUE_SIZE = 1
FILE_QUEUE_SIZE = 8


@dataclass
class RunOptions:
    """Options of ``streampipe run`` (and, per input, of ``batch``)."""

    source: str
    model: str | None = None
    decoder: str | None = None
    output: str | None = None
    jsonl: str | None = None
    report: str | None = None
    display: bool = False
    preview: int | None = None
    policy: str | None = None  # None: the source's default (drop-oldest live, block files)
    queue_size: int | None = None  # None: 1 for live sources, 8 for files
    workers: int = 2  # post-process/render workers
    infer_workers: int | None = None  # None: chosen from the cores
    batch: int = 1
    batch_wait_ms: float = 5.0
    device: str = "cpu"
    device_strict: bool = False
    intra_op_threads: int | None = None
    conf: float | None = None
    nms: float | None = None
    classes: list[str] | None = None
    input_size: tuple[int, int] | None = None
    blur: bool = False
    pixelate: bool = False
    max_frames: int | None = None
    live: bool | None = None  # None: decided by the source kind
    realtime: bool | None = None
    open_timeout: float = 10.0
    read_timeout: float = 5.0
    reconnect_attempts: int = 5
    codec: str = "h264"
    progress: bool = True
    overlay: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def anonymize(self) -> str | None:
        if self.pixelate:
            return "pixelate"
        return "blur" if self.blur else None

    @property
    def needs_render(self) -> bool:
        """Rendering costs a full-frame copy and drawing; skip it when no one looks at pixels."""
        return bool(self.output or self.display or self.preview is not None)
