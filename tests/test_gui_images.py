"""BGR frames and stored JPEG thumbnails into Qt images (ui/images.py)."""

import gc

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QColor  # noqa: E402

from surveil.capture.cv import cv2  # noqa: E402
from ui.images import icon_from_jpeg, pixmap_from_jpeg, qimage_from_bgr  # noqa: E402


def _frame() -> np.ndarray:
    frame = np.zeros((30, 40, 3), np.uint8)
    frame[5, 7] = (0, 0, 255)  # BGR: red
    frame[20, 30] = (255, 0, 0)  # blue
    return frame


@pytest.mark.parametrize("copy", [False, True])
def test_a_bgr_frame_reads_back_in_its_colours(qapp, copy):
    frame = _frame()
    image = qimage_from_bgr(frame, copy=copy)
    assert (image.width(), image.height()) == (40, 30)
    assert image.pixelColor(7, 5) == QColor(255, 0, 0)
    assert image.pixelColor(30, 20) == QColor(0, 0, 255)
    assert image.pixelColor(0, 0) == QColor(0, 0, 0)


def test_a_view_shares_the_array_and_a_copy_does_not(qapp):
    frame = _frame()
    view, copy = qimage_from_bgr(frame, copy=False), qimage_from_bgr(frame, copy=True)
    frame[0, 0] = (0, 255, 0)
    assert view.pixelColor(0, 0) == QColor(0, 255, 0), "a view paints the array as it is now"
    assert copy.pixelColor(0, 0) == QColor(0, 0, 0)
    del frame, view
    gc.collect()
    assert copy.pixelColor(7, 5) == QColor(255, 0, 0), "a copy outlives the array"


def test_a_crop_or_flip_of_a_frame_is_packed_into_an_image_of_its_own(qapp):
    frame = _frame()
    crop = qimage_from_bgr(frame[:, 5:], copy=False)  # rows not contiguous: Qt cannot borrow them
    flipped = qimage_from_bgr(frame[:, ::-1], copy=False)
    del frame
    gc.collect()
    assert crop.width() == 35 and crop.pixelColor(2, 5) == QColor(255, 0, 0)
    assert flipped.pixelColor(39 - 7, 5) == QColor(255, 0, 0)


def test_anything_but_a_bgr_uint8_frame_is_refused(qapp):
    with pytest.raises(ValueError):
        qimage_from_bgr(np.zeros((30, 40), np.uint8), copy=False)
    with pytest.raises(ValueError):
        qimage_from_bgr(np.zeros((30, 40, 3), np.float32), copy=False)


def test_a_jpeg_thumbnail_decodes_to_its_size_and_bad_bytes_to_none(qapp):
    ok, encoded = cv2.imencode(".jpg", _frame())
    assert ok
    pixmap = pixmap_from_jpeg(encoded.tobytes())
    assert pixmap is not None and (pixmap.width(), pixmap.height()) == (40, 30)
    icon = icon_from_jpeg(encoded.tobytes())
    assert icon is not None and not icon.isNull()
    for bad in (b"not a jpeg", encoded.tobytes()[:20], b"", None):
        assert pixmap_from_jpeg(bad) is None
        assert icon_from_jpeg(bad) is None
