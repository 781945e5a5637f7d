"""Fixtures for the inference tests: real data (skip or fail per env), loaded models, tiny ONNX builders."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from streampipe.inference import load_model


def real_data() -> Path:
    """``$STREAMPIPE_TEST_DATA``; skip when unset, fail when ``STREAMPIPE_REQUIRE_TEST_DATA=1``."""
    value = os.environ.get("STREAMPIPE_TEST_DATA")
    if value and Path(value, "models").is_dir():
        return Path(value).resolve()
    if os.environ.get("STREAMPIPE_REQUIRE_TEST_DATA") == "1":
        pytest.fail(f"STREAMPIPE_REQUIRE_TEST_DATA=1 but STREAMPIPE_TEST_DATA={value!r} has no models/")
    pytest.skip("real test data not available: set STREAMPIPE_TEST_DATA to the shared data directory")


@pytest.fixture(scope="session")
def data() -> Path:
    return real_data()


@pytest.fixture(scope="session")
def image(data):
    def load(name: str) -> np.ndarray:
        img = cv2.imread(str(data / "images" / name), cv2.IMREAD_COLOR)
        assert img is not None, name
        return img

    return load


@pytest.fixture(scope="session")
def yolox(data):
    return load_model(str(data / "models" / "yolox_nano.onnx"))


@pytest.fixture(scope="session")
def face_models(data):
    return {
        "yunet": load_model(str(data / "models" / "yunet_n_dynamic.onnx")),
        "ultraface": load_model(str(data / "models" / "version-RFB-320.onnx")),
        "centerface": load_model(None),
    }


