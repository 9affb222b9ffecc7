"""Appearance vectors of tracked objects, from the detector's pretrained backbone and the object's colours.

A crop is resized to 128x64 (people and most vehicles seen from a CCTV camera are taller or
about as tall as wide; stretching keeps every pixel of the box, where padding would pool grey),
run through the first layers of the YOLO backbone, and the stride-16 feature map (layer 6 of
YOLO11n) is average-pooled over three horizontal bands: head and shoulders, torso, legs, so a
shirt and trousers count separately. Measured on TUD-Stadtmitte/TUD-Campus (``surveil eval
reid``), this mid-backbone map re-identifies better than the SPPF/C2PSA end of the backbone,
whose detection training has made it blind to what tells one person from another. A weighted
HSV histogram of the upper and lower halves joins the vector, since colour is the strongest
single cue on that footage. Vectors are only comparable within one ``model_tag``.

The backbone part runs on OpenVINO where it is installed (``appearance_net``: the same float32
arithmetic for 1.4-1.8x less CPU per crop than torch on one thread), else on torch; both give the
same vectors (cosine above 0.9999 per crop), so the backend is not part of the tag.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import cv2
import numpy as np

from surveil.hashing import file_sha256
from surveil.resources import DEFAULT_DETECTOR, resource_path
from surveil.vision.appearance_net import Forward, band_net, fastest_forward

logger = logging.getLogger(__name__)

SPACE_VERSION = "v1"  # bump with any change below: vectors of another version must not be compared
INPUT_HW = (128, 64)
FEATURE_LAYER = 6  # stride 16 in YOLO11n and YOLOv8n
BANDS = 3
COLOUR_WEIGHT = 1.5  # the histogram's length against the backbone part's (1.0) before the final normalising
HIST_BINS = (8, 4, 4)  # hue, saturation, value
BATCH = 32


class AppearanceError(Exception):
    """Weights that cannot be used for appearance vectors; the message is written for an operator."""


class AppearanceEncoder:
    """Crops (BGR, any size) to unit vectors; ``model_tag`` names the model and version of the space."""

    def __init__(self, forward: Forward, model_tag: str, channels: int,
                 colour_weight: float = COLOUR_WEIGHT, backend: str = "torch"):
        self._forward = forward  # (n, h, w, 3) uint8 BGR to (n, BANDS * channels) float32, per band unit
        self._colour_weight = colour_weight
        self.model_tag = model_tag
        self.backend = backend
        self.dim = channels * BANDS + (colour_dim() if colour_weight else 0)

    def __repr__(self) -> str:
        return f"AppearanceEncoder({self.model_tag}, {self.backend}, dim={self.dim})"

    def encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """(n, dim) float32 rows of unit length, one per crop; ValueError for an empty or malformed crop."""
        crops = [_as_bgr(c, i) for i, c in enumerate(crops)]
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        parts = [self._forward(np.stack([_resize(c) for c in crops[i:i + BATCH]])) for i in range(0, len(crops), BATCH)]
        vectors = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if self._colour_weight:
            vectors = np.concatenate([vectors, self._colour_weight * colour_histograms(crops)], axis=1)
        return _unit(vectors)


def load_if_enabled(enabled: bool) -> AppearanceEncoder | None:
    """The bundled encoder when the config enables it; None when it is off or cannot load (logged, not raised).

    Without it objects are stored with no appearance vector and tracking goes on boxes alone.
    """
    if not enabled:
        return None
    try:
        return load_appearance()
    except Exception as exc:
        logger.error("the appearance model cannot be loaded (%s): objects are stored without appearance", exc)
        return None


def load_appearance(weights: Path | None = None, colour_weight: float = COLOUR_WEIGHT,
                    openvino: bool = True) -> AppearanceEncoder:
    """The encoder on a YOLO ``.pt`` checkpoint (default: the bundled detector); nothing is downloaded.

    ``colour_weight=0`` leaves the colour histogram out (the backbone alone, another ``model_tag``).
    ``openvino=False`` keeps the layers on torch even where OpenVINO is installed (same vectors, more CPU).
    """
    path = Path(weights) if weights is not None else resource_path(DEFAULT_DETECTOR)
    if not path.is_file() or path.suffix != ".pt":
        raise AppearanceError(f"{path}: appearance vectors need a YOLO .pt checkpoint file")
    return _cached(path.resolve(), path.stat().st_mtime_ns, colour_weight, openvino)


@functools.lru_cache(maxsize=4)
def _cached(path: Path, mtime_ns: int, colour_weight: float, openvino: bool) -> AppearanceEncoder:
    """One encoder per weights file and version of it: an engine restarted in the same process loads nothing."""
    forward, backend, channels = _backbone(path, mtime_ns, openvino)
    kind = "backbone" if colour_weight else "backbone-only"
    tag = f"{path.stem}-{kind}-{SPACE_VERSION}-{file_sha256(path)[:8]}"
    logger.info("appearance vectors from %s (%s, %d channels, on %s)", path, tag, channels, backend)
    return AppearanceEncoder(forward, tag, channels, colour_weight, backend)


@functools.lru_cache(maxsize=4)
def _backbone(path: Path, _mtime_ns: int, openvino: bool) -> tuple[Forward, str, int]:
    """The backbone part's forward function, its backend and channels, shared by the encoders of one weights file.

    It only ever runs forward (torch's under inference mode, OpenVINO's with requests per thread),
    so engines may share it.
    """
    net = band_net(list(_load_torch(path).model[:FEATURE_LAYER + 1]), INPUT_HW, BANDS)
    forward, backend = fastest_forward(net, INPUT_HW, openvino)
    return forward, backend, forward(np.zeros((1, *INPUT_HW, 3), np.uint8)).shape[1] // BANDS  # also warms it up


def _load_torch(path: Path):
    """The checkpoint's torch model, fused and in eval mode; AppearanceError if it is not a YOLO model."""
    from surveil.vision.runtime import configure_ultralytics

    configure_ultralytics()  # before the import: ultralytics reads its settings folder on import
    from ultralytics import YOLO

    try:
        model = YOLO(str(path)).model
    except Exception as exc:  # ultralytics raises many kinds for a file that is not its checkpoint
        raise AppearanceError(f"{path}: not a YOLO checkpoint ({exc})") from None
    if not hasattr(model, "model") or len(model.model) <= FEATURE_LAYER:
        raise AppearanceError(f"{path}: not a YOLO detector with a backbone of {FEATURE_LAYER + 1}+ layers")
    return model.fuse(verbose=False).eval() if hasattr(model, "fuse") else model.eval()


def _as_bgr(crop: np.ndarray, index: int) -> np.ndarray:
    crop = np.asarray(crop)
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    if crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] == 0 or crop.shape[1] == 0:
        raise ValueError(f"crop {index} has shape {crop.shape}: expected a non-empty HxWx3 BGR image")
    return crop if crop.dtype == np.uint8 else np.clip(crop, 0, 255).astype(np.uint8)


def _resize(crop: np.ndarray) -> np.ndarray:
    h, w = INPUT_HW
    shrink = crop.shape[0] * crop.shape[1] > h * w
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def colour_dim() -> int:
    """Length of ``colour_histogram``'s vector."""
    return 2 * int(np.prod(HIST_BINS))


def colour_histogram(crop: np.ndarray) -> np.ndarray:
    """Unit-length HSV histogram of the upper and lower halves of a BGR crop (the baseline vector).

    Pixels count less towards the box's left and right edges, where the background shows;
    square roots of the shares (Hellinger) keep one dominant colour from drowning the rest.
    """
    crop = _as_bgr(crop, 0)
    bins = cv2.LUT(cv2.cvtColor(crop, cv2.COLOR_BGR2HSV), _bin_table())
    h, w = bins.shape[:2]
    size = int(np.prod(HIST_BINS))
    # counted per column and bin, then the columns weighted: the sums of weighting every pixel, for less work
    keys = bins[..., 0] + bins[..., 1] + bins[..., 2] + np.arange(0, w * size, size)
    halves = []
    for rows in (slice(0, max(h // 2, 1)), slice(h // 2, h)):
        counts = _across(w) @ np.bincount(keys[rows].ravel(), minlength=w * size).reshape(w, size)
        halves.append(_unit(np.sqrt(counts / max(counts.sum(), 1e-12))))
    return _unit(np.concatenate(halves))


@functools.cache
def _bin_table() -> np.ndarray:
    """``cv2.LUT`` table of each HSV channel's value to its bin times the bin's stride in the histogram."""
    values = np.arange(256)
    table = [values * HIST_BINS[0] // 180 * HIST_BINS[1] * HIST_BINS[2],  # OpenCV's 8-bit hue is 0..179
             values * HIST_BINS[1] // 256 * HIST_BINS[2], values * HIST_BINS[2] // 256]
    return np.stack(table, axis=1).astype(np.uint8).reshape(1, 256, 3)


@functools.lru_cache(maxsize=1024)
def _across(w: int) -> np.ndarray:
    """Weights of a crop's ``w`` columns: a bell over the box's width."""
    return np.exp(-0.5 * ((np.arange(w) - (w - 1) / 2) / (w / 4)) ** 2)


def colour_histograms(crops: list[np.ndarray]) -> np.ndarray:
    """``colour_histogram`` of each crop, (n, colour_dim()) float32."""
    if not crops:
        return np.zeros((0, colour_dim()), np.float32)
    return np.stack([colour_histogram(c) for c in crops]).astype(np.float32)
