"""Pictures into Qt: BGR frames (numpy) as QImage, stored JPEG thumbnails as QPixmap or QIcon.

A QImage made over numpy memory does not own its pixels: Qt reads the array every time it paints,
so the array must live at least as long as the QImage and every shallow copy of it. What PySide6
does with the buffer has changed between releases (6.1.1 copied it, 6.12 holds a reference), so
nothing here relies on it. Callers choose, at each call, between:

- a view (``copy=False``): no copy, for a widget that repaints often and keeps the array beside
  the image anyway (camera tile, clip player, zone editor). The widget must replace or drop both
  together.
- a copy (``copy=True``): the image owns its pixels and may outlive the array (a picture that is
  stored or handed on, such as the camera dialog's preview).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QIcon, QImage, QPixmap


def qimage_from_bgr(array: np.ndarray, *, copy: bool) -> QImage:
    """A QImage of an (height, width, 3) uint8 BGR array: over its memory, or with pixels of its own."""
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected a (height, width, 3) uint8 BGR array, got {array.dtype} {array.shape}")
    if not array.flags.c_contiguous:
        # PySide6 only takes contiguous buffers (a crop or flip of a frame is not): the contiguous copy is
        # a temporary nobody else holds, so the image must not borrow it.
        array, copy = np.ascontiguousarray(array), True
    height, width = array.shape[:2]
    image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_BGR888)
    return image.copy() if copy else image


def pixmap_from_jpeg(data: bytes | None) -> QPixmap | None:
    """A stored thumbnail decoded; None when there is none or it is not a readable JPEG."""
    if not data:
        return None
    pixmap = QPixmap()
    return pixmap if pixmap.loadFromData(data, "JPEG") else None


def icon_from_jpeg(data: bytes | None) -> QIcon | None:
    """A stored thumbnail as a list item's icon; None when it cannot be shown (the item keeps no icon)."""
    pixmap = pixmap_from_jpeg(data)
    return QIcon(pixmap) if pixmap is not None else None
