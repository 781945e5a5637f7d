"""Renderer: never mutates its input, draws in class colours, anonymises only the enlarged boxes, and
survives degenerate geometry and odd frame sizes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from streampipe.frame import Detections, Frame
from streampipe.render import Renderer, RenderOptions, class_color, sharpness


def _frame(image: np.ndarray, det: Detections | None) -> Frame:
    return Frame(index=0, image=image, pts=None, t_capture=0.0, detections=det)


def _dets(boxes, class_ids=None, scores=None, keypoints=None, labels=("face", "person")) -> Detections:
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    n = b.shape[0]
    return Detections(
        boxes=b,
        scores=np.asarray(scores if scores is not None else [0.93] * n, np.float32),
        class_ids=np.asarray(class_ids if class_ids is not None else [0] * n, np.int32),
        keypoints=None if keypoints is None else np.asarray(keypoints, np.float32),
        labels=labels,
    )


def _noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_input_image_is_not_mutated_and_output_is_a_new_array():
    img = _noise(240, 320)
    before = img.copy()
    det = _dets([[50, 60, 150, 160], [200, 10, 300, 100]], class_ids=[0, 1],
                keypoints=np.full((2, 5, 2), 100.0))
    for opts in (RenderOptions(), RenderOptions(anonymize="blur"), RenderOptions(anonymize="pixelate")):
        out = Renderer(opts, overlay_text=lambda: "12.3 FPS  45 ms")(_frame(img, det))
        assert np.array_equal(img, before)
        assert not np.shares_memory(out.image, img)
        assert out.image.shape == img.shape and out.image.dtype == np.uint8
        assert not np.array_equal(out.image, img)


def test_class_color_is_deterministic_and_distinct():
    colors = [class_color(i) for i in range(21)]
    assert colors == [class_color(i) for i in range(21)]
    assert all(len(c) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in c) for c in colors)
    for a, b in itertools.combinations(colors, 2):
        assert a != b
    # neighbouring ids should be clearly different, not just off by one level
    for a, b in itertools.pairwise(colors):
        assert sum(abs(x - y) for x, y in zip(a, b)) > 60


def test_box_border_is_drawn_in_class_colour():
    img = np.zeros((200, 300, 3), np.uint8)
    det = _dets([[40, 50, 200, 150]], class_ids=[3])
    out = Renderer(RenderOptions(labels=False, landmarks=False, thickness=1))(_frame(img, det)).image
    color = np.array(class_color(3), np.uint8)
    # middle of the left and bottom edges (away from antialiased corners)
    assert np.array_equal(out[100, 40], color)
    assert np.array_equal(out[150, 120], color)
    # interior and far exterior untouched
    assert not out[100, 120].any()
    assert not out[10:40, 250:].any()


def test_label_drawn_with_background_and_inside_frame_for_top_edge_box():
    img = np.zeros((120, 200, 3), np.uint8)
    det = _dets([[20, 0, 120, 60]], class_ids=[1], scores=[0.87])
    out = Renderer(RenderOptions(boxes=False, landmarks=False, thickness=1))(_frame(img, det)).image
    color = np.array(class_color(1), np.uint8)
    near = out[0:25, 20:140]
    assert (near == color).all(axis=-1).sum() > 50  # filled label background at the box, in-frame
    assert not out[70:, :].any()


def test_label_for_box_at_right_and_bottom_corner_stays_inside():
    img = np.zeros((100, 100, 3), np.uint8)
    det = _dets([[95, 95, 99, 99]], class_ids=[1])
    out = Renderer(RenderOptions(boxes=False, thickness=1))(_frame(img, det)).image
    assert (out == np.array(class_color(1), np.uint8)).all(axis=-1).sum() > 50


def test_landmarks_drawn_as_circles():
    img = np.zeros((100, 100, 3), np.uint8)
    kps = np.array([[[30, 30], [70, 70], [-5, 500]]], np.float32)  # last one is off-frame
    det = _dets([[10, 10, 90, 90]], keypoints=kps)
    out = Renderer(RenderOptions(boxes=False, labels=False, thickness=1))(_frame(img, det)).image
    assert np.array_equal(out[30, 30], class_color(0))
    assert np.array_equal(out[70, 70], class_color(1))
    assert not out[50, 50].any()


@pytest.mark.parametrize("mode", ["blur", "pixelate"])
def test_anonymize_destroys_detail_inside_and_leaves_outside_untouched(mode):
    img = _noise(240, 320)
    box = (100.0, 80.0, 180.0, 180.0)  # 80x100, enlarged by 0.15 -> [88, 65, 192, 195]
    det = _dets([box])
    out = Renderer(RenderOptions(anonymize=mode), overlay_text=None)(_frame(img, det)).image
    enlarged = (88, 65, 192, 195)
    assert sharpness(out, enlarged) < sharpness(img, enlarged) / 10
    assert sharpness(out, box) < sharpness(img, box) / 10
    mask = np.ones(img.shape[:2], bool)
    mask[65 - 2 : 195 + 2, 88 - 2 : 192 + 2] = False  # "well outside" = 2 px margin
    assert np.array_equal(out[mask], img[mask])
    if mode == "pixelate":
        region = out[65:195, 88:192].reshape(-1, 3)
        n_colors = len(np.unique(region, axis=0))
        assert n_colors <= 12 * 12
        assert n_colors < len(np.unique(img[65:195, 88:192].reshape(-1, 3), axis=0)) / 50


def test_anonymize_draws_no_boxes_or_labels():
    img = np.full((200, 200, 3), 128, np.uint8)  # flat: blurring it changes nothing
    det = _dets([[50, 50, 150, 150]], class_ids=[2], keypoints=np.full((1, 5, 2), 100.0))
    out = Renderer(RenderOptions(anonymize="blur"))(_frame(img, det)).image
    assert np.array_equal(out, img)


def test_anonymize_region_is_clipped_for_box_at_frame_edge():
    img = _noise(100, 100)
    out = Renderer(RenderOptions(anonymize="blur"))(_frame(img, _dets([[-30, -30, 40, 40]]))).image
    assert sharpness(out, (0, 0, 40, 40)) < sharpness(img, (0, 0, 40, 40)) / 10
    assert np.array_equal(out[60:, 60:], img[60:, 60:])


def test_overlay_text_darkens_top_left_only():
    img = np.full((200, 300, 3), 200, np.uint8)
    out = Renderer(RenderOptions(), overlay_text=lambda: "12.3 FPS  45 ms")(_frame(img, None)).image
    assert (out[:5, :5] < 100).all()  # dark background at the corner
    patch = out[:19, :103]
    assert (patch[:, :, 0] > 200).sum() > 20  # bright text on the darkened patch
    assert (patch[:, :, 0] < 100).sum() > patch.shape[0] * patch.shape[1] // 2
    assert np.array_equal(out[40:, :], img[40:, :])
    assert np.array_equal(out[:, 150:], img[:, 150:])
    off = Renderer(RenderOptions(overlay=False), overlay_text=lambda: "x")(_frame(img, None)).image
    assert np.array_equal(off, img)


@pytest.mark.parametrize("det", [None, Detections.empty(), Detections.empty(num_keypoints=5)])
def test_no_detections_pass_through_unchanged_without_overlay(det):
    img = _noise(64, 80)
    out = Renderer(RenderOptions())(_frame(img, det)).image
    assert np.array_equal(out, img)


DEGENERATE = [
    [[-500, -500, -100, -100]],  # fully off-frame (top-left)
    [[1000, 1000, 2000, 2000]],  # fully off-frame (bottom-right)
    [[-50, -50, 5000, 5000]],  # covers and exceeds the frame
    [[30, 30, 30, 30]],  # zero area
    [[40, 10, 40, 50]],  # zero width
    [[60, 50, 20, 10]],  # flipped corners
    [[1e30, -1e30, 3e30, 1e30]],  # absurd magnitudes
]


@pytest.mark.parametrize("mode", [None, "blur", "pixelate"])
@pytest.mark.parametrize("boxes", DEGENERATE)
def test_degenerate_boxes_never_raise(boxes, mode):
    img = _noise(48, 64)
    before = img.copy()
    kps = np.array([[[1e30, -1e30], [np.inf, 3], [10, 10]]], np.float32)
    out = Renderer(RenderOptions(anonymize=mode), overlay_text=lambda: "fps")(
        _frame(img, _dets(boxes, keypoints=kps))).image
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(img, before)


def test_fully_offframe_box_draws_nothing():
    img = np.zeros((100, 100, 3), np.uint8)
    out = Renderer(RenderOptions())(_frame(img, _dets([[-80, -80, -20, -20], [150, 10, 300, 90]]))).image
    assert not out.any()


@pytest.mark.parametrize("hw", [(479, 641), (16, 16), (1, 1), (7, 3)])
@pytest.mark.parametrize("mode", [None, "blur", "pixelate"])
def test_odd_and_tiny_frame_sizes(hw, mode):
    h, w = hw
    img = _noise(h, w)
    det = _dets([[0, 0, w * 0.6, h * 0.6], [w * 0.3, h * 0.3, w + 5, h + 5]], class_ids=[0, 7],
                keypoints=np.full((2, 5, 2), min(h, w) / 2))
    out = Renderer(RenderOptions(anonymize=mode), overlay_text=lambda: "12.3 FPS  45 ms")(_frame(img, det))
    assert out.image.shape == (h, w, 3) and out.image.dtype == np.uint8


def test_auto_thickness_scales_with_frame_size():
    small, big = np.zeros((240, 320, 3), np.uint8), np.zeros((1080, 1920, 3), np.uint8)
    r = Renderer(RenderOptions(labels=False))
    s = r(_frame(small, _dets([[50, 50, 150, 150]]))).image
    b = r(_frame(big, _dets([[500, 500, 900, 900]]))).image
    assert (s[100, 45:55].any(axis=-1)).sum() < (b[700, 490:510].any(axis=-1)).sum()


def test_invalid_options_rejected():
    with pytest.raises(ValueError, match="anonymize"):
        RenderOptions(anonymize="smudge")
    with pytest.raises(ValueError, match="enlarge"):
        RenderOptions(enlarge=-0.1)
    with pytest.raises(ValueError, match="thickness"):
        RenderOptions(thickness=0)


def test_other_frame_fields_preserved():
    det = _dets([[1, 1, 5, 5]])
    f = Frame(index=7, image=_noise(20, 20), pts=1.5, t_capture=3.0, source_id="cam", detections=det,
              meta={"k": 1})
    out = Renderer(RenderOptions())(f)
    assert (out.index, out.pts, out.t_capture, out.source_id, out.detections, out.meta) == (
        7, 1.5, 3.0, "cam", det, {"k": 1})


def test_sharpness_measures_detail():
    flat = np.full((50, 50, 3), 90, np.uint8)
    assert sharpness(flat, (0, 0, 50, 50)) == 0.0
    assert sharpness(_noise(50, 50), (0, 0, 50, 50)) > 1000
    assert sharpness(flat, (60, 60, 80, 80)) == 0.0  # empty crop
