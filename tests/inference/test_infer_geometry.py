"""Preprocessing geometry: a box drawn in the original frame, found in the network canvas and mapped back,
lands within 1 px of where it was drawn -- for every resize mode, odd sizes and extreme aspect ratios."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streampipe.inference.preprocess import (
    LETTERBOX,
    LETTERBOX_TL,
    PAD32,
    STRETCH,
    STRETCH32,
    Plan,
    PreprocessMeta,
    geometry,
    preprocess,
)
from streampipe.inference.signature import InputSpec

MODES = [LETTERBOX_TL, LETTERBOX, STRETCH, PAD32, STRETCH32]
SIZES = [(479, 641), (100, 1000), (1000, 100), (37, 53), (416, 416)]  # (h, w)


def _target(mode):
    return (416, 416) if mode in (LETTERBOX_TL, LETTERBOX, STRETCH) else None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("hw", SIZES)
def test_drawn_box_round_trip(mode, hw):
    h, w = hw
    img = np.zeros((h, w, 3), np.uint8)
    x1, y1, x2, y2 = int(w * 0.3), int(h * 0.2), int(w * 0.7) + 1, int(h * 0.9) + 1
    img[y1:y2, x1:x2] = 255
    canvas, meta = geometry(img, Plan(mode, pad_value=0.0), _target(mode))
    assert canvas.shape[:2] == (meta.in_h, meta.in_w)
    ys, xs = np.nonzero(canvas[:, :, 0] >= 128)  # half-intensity edge after interpolation
    found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    back = meta.boxes_to_original(found)[0]
    # one canvas pixel is 1/scale original pixels: the drawn edge is located to within that
    tol = max(1.0, 1.0 / min(meta.scale_x, meta.scale_y))
    np.testing.assert_allclose(back, [x1, y1, x2, y2], atol=tol)


def test_canvas_sizes_per_mode():
    img = np.zeros((479, 641, 3), np.uint8)
    assert geometry(img, Plan(PAD32), None)[0].shape[:2] == (480, 672)
    assert geometry(img, Plan(STRETCH32), None)[0].shape[:2] == (480, 672)
    c, m = geometry(img, Plan(LETTERBOX_TL), (416, 416))
    assert c.shape[:2] == (416, 416) and (m.pad_x, m.pad_y) == (0, 0)
    assert (c[-1, 0] == 114).all()  # bottom padding with the YOLOX pad value
    c, m = geometry(img, Plan(LETTERBOX), (416, 416))
    assert m.pad_x == 0 and m.pad_y > 0
    # PAD32 with a cap downscales the long side to the cap first
    c, m = geometry(np.zeros((1000, 2000, 3), np.uint8), Plan(PAD32), (640, 640))
    assert c.shape[:2] == (320, 640) and m.scale_x == pytest.approx(0.32)


@settings(max_examples=150, deadline=None)
@given(
    h=st.integers(1, 1500),
    w=st.integers(1, 1500),
    th=st.integers(32, 800),
    tw=st.integers(32, 800),
    mode=st.sampled_from(MODES),
    bx=st.lists(st.floats(0, 1), min_size=4, max_size=4),
)
def test_metadata_describes_the_canvas(h, w, th, tw, mode, bx):
    """For any frame/target size: the frame's content occupies exactly [pad, pad + size*scale) of the
    canvas, and synthetic boxes mapped forward with that and back come out where they went in."""
    img = np.full((h, w, 3), 255, np.uint8)
    canvas, meta = geometry(img, Plan(mode, pad_value=0.0), (th, tw) if mode != STRETCH32 else None)
    ys, xs = np.nonzero(canvas[:, :, 0])
    assert (xs.min(), ys.min()) == (meta.pad_x, meta.pad_y)
    assert xs.max() + 1 == pytest.approx(meta.pad_x + w * meta.scale_x, abs=1e-6)
    assert ys.max() + 1 == pytest.approx(meta.pad_y + h * meta.scale_y, abs=1e-6)
    xs_, ys_ = sorted([bx[0] * w, bx[2] * w]), sorted([bx[1] * h, bx[3] * h])
    box = np.array([xs_[0], ys_[0], xs_[1], ys_[1]])
    fwd = box * [meta.scale_x, meta.scale_y, meta.scale_x, meta.scale_y] + [meta.pad_x, meta.pad_y] * 2
    back = meta.boxes_to_original(fwd[None].astype(np.float32))[0]
    np.testing.assert_allclose(back, box, atol=1e-3 * max(h, w, 1) / 10 + 1e-3)


def test_boxes_clipped_to_frame():
    meta = PreprocessMeta(100, 200, 416, 416, 2.08, 2.08, 0, 0)
    out = meta.boxes_to_original(np.array([[-50, -5, 900, 900]], np.float32))
    np.testing.assert_array_equal(out[0], [0, 0, 200, 100])


def test_layouts_and_dtypes_match():
    img = np.random.default_rng(0).integers(0, 255, (50, 70, 3), np.uint8)
    plan = Plan(STRETCH, rgb=True, mean=(127, 127, 127), std=(128, 128, 128))
    nchw = preprocess(img, plan, InputSpec("x", "NCHW", "float32", 1, 64, 64), (64, 64))[0]
    nhwc = preprocess(img, plan, InputSpec("x", "NHWC", "float16", 1, 64, 64), (64, 64))[0]
    assert nchw.shape == (1, 3, 64, 64) and nhwc.shape == (1, 64, 64, 3) and nhwc.dtype == np.float16
    np.testing.assert_allclose(nchw.transpose(0, 2, 3, 1), nhwc.astype(np.float32), atol=2e-3)
    # RGB swap: channel 0 of the tensor is the frame's red (index 2 in BGR)
    flat = preprocess(np.dstack([np.full((8, 8), v, np.uint8) for v in (10, 20, 30)]), plan,
                      InputSpec("x", "NCHW", "float32", 1, 8, 8), (8, 8))[0]
    assert flat[0, 0, 0, 0] == pytest.approx((30 - 127) / 128)


def test_grey_and_bgra_frames_accepted():
    spec = InputSpec("x", "NCHW", "float32", 1, 32, 32)
    for img in (np.zeros((20, 30), np.uint8), np.zeros((20, 30, 4), np.uint8)):
        t, _ = preprocess(img, Plan(STRETCH), spec, (32, 32))
        assert t.shape == (1, 3, 32, 32)
