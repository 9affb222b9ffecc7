"""Synthetic videos made in the test: a bright square moving right on a dark background."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def moving_square_frames(count: int, size: tuple[int, int] = (160, 120), step: int = 3):
    """Yield ``count`` BGR frames with a 20 px square moving ``step`` px right per frame."""
    width, height = size
    for i in range(count):
        image = np.full((height, width, 3), 30, np.uint8)
        x = (10 + i * step) % (width - 20)
        cv2.rectangle(image, (x, height // 2 - 10), (x + 20, height // 2 + 10), (255, 255, 255), -1)
        yield image


def write_video(path: Path, count: int = 30, fps: float = 20.0, size: tuple[int, int] = (160, 120),
                fourcc: str = "MJPG", step: int = 3) -> Path:
    """Write a moving-square clip; MJPG in AVI decodes everywhere OpenCV runs."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path}"
    for image in moving_square_frames(count, size, step):
        writer.write(image)
    writer.release()
    return path
