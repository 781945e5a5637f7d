"""Fixtures of the video tests; real data comes through the lead's ``data_dir`` (tests/conftest.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def test_data(data_dir: Path) -> Path:
    """``$STREAMPIPE_TEST_DATA`` (skip when unset; fail when ``STREAMPIPE_REQUIRE_TEST_DATA=1``)."""
    return data_dir


@pytest.fixture
def videos(test_data: Path) -> Path:
    return test_data / "videos"


class EventLog(logging.Handler):
    """Collects ``streampipe.video`` records and lets a test wait for one by substring."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.cond:
            self.records.append(record)
            self.cond.notify_all()

    def messages(self) -> list[str]:
        with self.cond:
            return [r.getMessage() for r in self.records]

    def wait_for(self, needle: str, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: any(needle in r.getMessage() for r in self.records), timeout)


@pytest.fixture
def video_log() -> Iterator[EventLog]:
    handler = EventLog()
    logger = logging.getLogger("streampipe.video")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)
