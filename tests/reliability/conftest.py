"""Reliability tests: every row of the failure table of issue 6, through the real CLI or the library.

The helpers live in ``reliability_tools.py`` (this directory is on ``sys.path`` under pytest's
default import mode, as ``tests/app`` is for ``clitools``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from reliability_tools import fault_model


@pytest.fixture(scope="session")
def failing_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ONNX classifier that fails inside ONNX Runtime on an all-white frame (see ``fault_model``)."""
    return fault_model(tmp_path_factory.mktemp("models") / "fails_on_white.onnx")


@pytest.fixture(scope="session", autouse=True)
def warm_page_cache() -> None:
    """Import the heavy libraries once in a throwaway process, so the "exit within 2 s" timings
    measure streampipe and not the first read of onnxruntime/av/cv2 from a cold disk cache."""
    subprocess.run([sys.executable, "-c", "import streampipe.cli, streampipe.app.runner, onnxruntime, av, cv2, onnx"],
                   check=True, timeout=120)
