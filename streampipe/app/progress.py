"""Progress while a job runs: a tqdm bar for files, a status line for live sources.

Updated from the main thread's wait loop (``Pipeline.run(on_tick=...)``), never from the
workers, so the hot path pays nothing for it. The same numbers feed the on-frame overlay.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from tqdm import tqdm

from ..engine import Pipeline


class Progress:
    """Owns the progress bar and a cached metrics snapshot (refreshed at most every 0.5 s)."""

    def __init__(self, info: Any, *, enabled: bool = True, max_frames: int | None = None) -> None:
        self.info = info
        self.enabled = enabled
        self.pipeline: Pipeline | None = None
        total = info.frames_expected
        if max_frames is not None:
            total = max_frames if total is None else min(total, max_frames)
        self.live = bool(info.is_live)
        self._bar = None
        if enabled:
            self._bar = tqdm(
                total=None if self.live else total,
                unit="frame",
                desc=str(info.uri)[-40:],
                file=sys.stderr,
                dynamic_ncols=True,
                leave=True,
            )
        self._shown = 0
        self._text = ""
        self._t_snap = 0.0

    def attach(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def update(self) -> None:
        if self.pipeline is None:
            return
        now = time.monotonic()
        if now - self._t_snap < 0.5:
            return
        self._t_snap = now
        snap = self.pipeline.snapshot()
        lat = snap.latency_ms
        self._text = f"{snap.fps:5.1f} FPS  {lat['p50']:.0f} ms"
        if self._bar is not None:
            self._bar.update(snap.processed - self._shown)
            self._shown = snap.processed
            self._bar.set_postfix_str(
                f"fps={snap.fps:.1f} lat_p95={lat['p95']:.0f}ms drops={snap.dropped}", refresh=False
            )

    def overlay_text(self) -> str:
        """Text for the on-frame overlay (read by render workers; a str swap is atomic)."""
        return self._text

    def close(self) -> None:
        if self._bar is not None:
            if self.pipeline is not None:
                processed = self.pipeline.snapshot().processed
                self._bar.update(processed - self._shown)
                self._shown = processed
            self._bar.close()
            self._bar = None
