"""Shared test helpers: where the real data lives, and a guard against leaked threads."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Keep the model caches of the test run (and of CLI subprocesses) out of the user's home."""
    if "STREAMPIPE_TEST_KEEP_CACHE" not in os.environ:
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="streampipe-test-cache-")


def shared_data_dir() -> Path | None:
    """``$STREAMPIPE_TEST_DATA`` as a Path, or None (skip) / failure when it is required."""
    value = os.environ.get("STREAMPIPE_TEST_DATA")
    required = os.environ.get("STREAMPIPE_REQUIRE_TEST_DATA") == "1"
    if value and Path(value).is_dir():
        return Path(value).resolve()
    if required:
        pytest.fail(f"STREAMPIPE_REQUIRE_TEST_DATA=1 but STREAMPIPE_TEST_DATA={value!r} is not a directory")
    return None


@pytest.fixture
def data_dir() -> Path:
    """The real models/videos/images directory; skips the test when it is not configured."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("real test data not available: set STREAMPIPE_TEST_DATA=../shared/data")
    return path


@pytest.fixture
def no_leaked_threads():
    """Fail the test if it leaves any thread running that it did not find at the start."""
    before = set(threading.enumerate())
    yield
    leaked = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"
