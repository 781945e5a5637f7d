"""Helpers of the reliability tests: faulty inputs made for real (cut files, a model that fails on a
marked frame, image folders), subprocesses driven by what they write, and the CLI helpers of tests/app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from streampipe.video import make_synthetic_frame

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "app"))

from clitools import read_jsonl, read_video, run_cli

__all__ = ["ROOT", "read_jsonl", "read_video", "run_cli"]

MARK_THRESHOLD = 1.5  # normalised value: only an all-white frame has every pixel above it


def fault_model(path: Path, size: int = 64, classes: int = 10) -> Path:
    """A tiny classifier (``--decoder classify``) whose ONNX graph fails inside ONNX Runtime on a
    marked frame, with no test hook: on an all-white input its ``Gather`` indices jump out of
    range ("indices element out of data bounds"); every other frame gives constant logits.

    The classify plan normalises (x - mean) / std, so white maps to >= 2.25 while the synthetic
    pattern (black index bar) has pixels far below ``MARK_THRESHOLD``. (A ``Reshape`` to a bad
    shape does not work: ORT's optimizer trusts the declared output shape and removes it.)
    """
    nodes = [
        helper.make_node("ReduceMin", ["x"], ["lo"], keepdims=0),  # darkest value of the frame
        helper.make_node("Greater", ["lo", "thr"], ["marked"]),
        helper.make_node("Cast", ["marked"], ["flag"], to=TensorProto.INT64),
        helper.make_node("Mul", ["flag", "far"], ["shift"]),
        helper.make_node("Add", ["idx", "shift"], ["idx2"]),  # 0..C-1, or out of range when marked
        helper.make_node("ReduceMean", ["x"], ["m"], keepdims=1),  # keeps the batch axis: [B,1,1,1]
        helper.make_node("Reshape", ["m", "batch_1"], ["m2"]),
        helper.make_node("Mul", ["m2", "zero"], ["z"]),
        helper.make_node("Add", ["logits", "z"], ["scores"]),
        helper.make_node("Gather", ["scores", "idx2"], ["output"], axis=1),
    ]
    init = [
        numpy_helper.from_array(np.arange(classes, dtype=np.float32)[None], "logits"),
        numpy_helper.from_array(np.array(MARK_THRESHOLD, np.float32), "thr"),
        numpy_helper.from_array(np.array(1000, np.int64), "far"),
        numpy_helper.from_array(np.arange(classes, dtype=np.int64), "idx"),
        numpy_helper.from_array(np.array([-1, 1], np.int64), "batch_1"),
        numpy_helper.from_array(np.zeros((), np.float32), "zero"),
    ]
    graph = helper.make_graph(
        nodes, "fails_on_white",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, classes])],
        initializer=init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def synthetic_folder(folder: Path, n: int, size: tuple[int, int] = (160, 120), white_at: int | None = None) -> Path:
    """``n`` PNG frames of the synthetic pattern (index readable back), frame ``white_at`` all white."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = np.full((size[1], size[0], 3), 255, np.uint8) if i == white_at else make_synthetic_frame(i, *size)
        cv2.imwrite(str(folder / f"f{i:04d}.png"), img)
    return folder


def cut_file(src: Path, dst: Path, fraction: float, extra: int = 0) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction) + extra])
    return dst


class SlowModel:
    """A real (tiny ONNX) model made to take ``ms`` per inference call: the load of a mid-size
    detector, without its CPU cost, so a live source outruns it on any machine."""

    def __init__(self, model, ms: float) -> None:
        self._model, self._seconds = model, ms / 1000

    def infer(self, tensor):
        t_end = time.perf_counter() + self._seconds
        out = self._model.infer(tensor)
        time.sleep(max(0.0, t_end - time.perf_counter()))
        return out

    def __getattr__(self, name):
        return getattr(self._model, name)


def load_report(path: Path) -> dict:
    return json.loads(path.read_text())


class Cli:
    """``python run_stream.py ARGS`` as a live subprocess, for tests that signal it mid-run."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run_stream.py"), *args],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for a condition on what the process wrote (checked on a short interval)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                _, err = self.proc.communicate()
                raise AssertionError(f"process ended (rc {self.proc.returncode}) before {what}: {err[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.02)

    def signal_and_wait(self, signum: int, timeout: float) -> tuple[int, float, str]:
        """Send ``signum``; return (exit code, seconds until exit, stderr)."""
        t0 = time.monotonic()
        self.proc.send_signal(signum)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"no exit within {timeout} s after signal {signal.Signals(signum).name}") from None
        return self.proc.returncode, time.monotonic() - t0, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def jsonl_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n")
    except FileNotFoundError:
        return 0
