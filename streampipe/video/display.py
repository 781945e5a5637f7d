"""An OpenCV window for the newest frame, driven from the MAIN thread.

Why the split between ``process()`` and ``pump()``: HighGUI (GTK/Qt/Cocoa) must be called from
the thread that created the window - on macOS only the main thread works at all - while the
pipeline calls sinks from worker threads. So a worker's ``process(frame)`` only parks the newest
frame in a slot (never blocks, never slows the pipeline), and the main thread calls ``pump()``
in its wait loop to show it and poll the keyboard; ``q`` or ``Esc`` calls ``on_stop``.

Headless machines (no ``DISPLAY``/``WAYLAND_DISPLAY`` on Linux, or an OpenCV built without GUI
such as opencv-python-headless) get one warning and a no-op sink: a preview is a convenience,
never a reason to fail a batch job.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

import cv2

from streampipe.frame import Frame

log = logging.getLogger("streampipe.video")

_STOP_KEYS = {ord("q"), ord("Q"), 27}


def gui_available() -> tuple[bool, str]:
    """Whether an OpenCV window can be shown here, and why not when it cannot."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False, "no DISPLAY (headless)"
    info = cv2.getBuildInformation()
    gui_line = next((ln for ln in info.splitlines() if ln.strip().startswith("GUI:")), "")
    if "NONE" in gui_line.upper():
        return False, "OpenCV was built without GUI support"
    return True, ""


class DisplaySink:
    """Show frames in a window. ``process`` from any thread; ``pump``/``close`` from the main thread."""

    def __init__(self, window: str = "streampipe", on_stop: Callable[[], None] | None = None) -> None:
        self.window = window
        self.on_stop = on_stop
        self.available, reason = gui_available()
        if not self.available:
            log.warning("display disabled: %s", reason)
        self._lock = threading.Lock()
        self._newest: Frame | None = None
        self._shown_index: int | None = None
        self._window_open = False
        self.frames_shown = 0

    def open(self) -> None:
        """Nothing to do: the window is created by the first ``pump()`` on the main thread."""

    def process(self, frame: Frame) -> Frame:
        if self.available:
            with self._lock:
                self._newest = frame
        return frame

    def pump(self, wait_ms: int = 1) -> bool:
        """Show the newest frame (if new) and poll keys for ``wait_ms``; False once the user quit.
        Must run on the main thread."""
        if not self.available:
            return True
        with self._lock:
            frame = self._newest
        try:
            if frame is not None and frame.index != self._shown_index:
                cv2.imshow(self.window, frame.image)
                self._window_open = True
                self._shown_index = frame.index
                self.frames_shown += 1
            key = cv2.waitKey(max(1, wait_ms)) & 0xFF if self._window_open else -1
        except cv2.error as e:
            log.warning("display disabled: %s", str(e).strip().splitlines()[-1])
            self.available = False
            return True
        if key in _STOP_KEYS:
            if self.on_stop is not None:
                self.on_stop()
            return False
        return True

    def close(self) -> None:
        if self._window_open:
            self._window_open = False
            try:
                cv2.destroyWindow(self.window)
                cv2.waitKey(1)
            except cv2.error:
                pass
