"""Folders and globs of images: natural order, and every pixel format normalised to 8-bit BGR."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streampipe.errors import DecodeError, SourceOpenError
from streampipe.video import open_source

W, H = 641, 479


def pattern() -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)


def test_mixed_formats_come_out_as_uint8_bgr_with_correct_content(tmp_path: Path) -> None:
    bgr = pattern()
    gray = bgr[:, :, 1].copy()
    bgra = np.dstack([bgr, np.full((H, W), 77, np.uint8)])
    sixteen = bgr.astype(np.uint16) * 257  # exact 8 -> 16-bit scaling; >> 8 must undo it
    cv2.imwrite(str(tmp_path / "img1.png"), bgr)
    cv2.imwrite(str(tmp_path / "img2.png"), gray)
    cv2.imwrite(str(tmp_path / "img3.png"), bgra)
    cv2.imwrite(str(tmp_path / "img10.png"), sixteen)
    assert cv2.imread(str(tmp_path / "img10.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")

    with open_source(str(tmp_path)) as src:
        assert (src.info.width, src.info.height, src.info.frames_expected, src.info.kind) == (
            W,
            H,
            4,
            "folder",
        )
        assert src.default_policy == "block"
        frames = list(src)
    assert [f.index for f in frames] == [0, 1, 2, 3]
    for f in frames:
        assert f.image.dtype == np.uint8 and f.image.shape == (H, W, 3) and f.image.flags.c_contiguous
    np.testing.assert_array_equal(frames[0].image, bgr)
    np.testing.assert_array_equal(frames[1].image, np.dstack([gray] * 3))
    np.testing.assert_array_equal(frames[2].image, bgr)  # alpha dropped
    np.testing.assert_array_equal(frames[3].image, bgr)  # 16-bit >> 8


def test_natural_sort_and_glob(tmp_path: Path) -> None:
    for i in (10, 2, 1, 33, 3):
        img = np.full((16, 32, 3), i, np.uint8)
        cv2.imwrite(str(tmp_path / f"img{i}.png"), img)
    cv2.imwrite(str(tmp_path / "other1.png"), np.zeros((16, 32, 3), np.uint8))
    with open_source(str(tmp_path / "img*.png")) as src:
        values = [int(f.image[0, 0, 0]) for f in src]
    assert values == [1, 2, 3, 10, 33]


def test_undecodable_image_mid_folder_is_a_decode_error(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a1.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "a2.png").write_bytes(b"not a png")
    with open_source(str(tmp_path)) as src:
        assert next(src).index == 0
        with pytest.raises(DecodeError, match="a2.png: cannot decode image"):
            next(src)


def test_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError, match="no files match"):
        open_source(str(tmp_path / "*.png"))
