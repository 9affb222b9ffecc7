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
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import cv2
import numpy as np

from surveil.hashing import file_sha256
from surveil.resources import DEFAULT_DETECTOR, resource_path

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

    def __init__(self, layers: list, model_tag: str, channels: int, colour_weight: float = COLOUR_WEIGHT):
        self._layers = layers
        self._colour_weight = colour_weight
        self.model_tag = model_tag
        self.dim = channels * BANDS + (colour_dim() if colour_weight else 0)

    def __repr__(self) -> str:
        return f"AppearanceEncoder({self.model_tag}, dim={self.dim})"

    def encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """(n, dim) float32 rows of unit length, one per crop; ValueError for an empty or malformed crop."""
        crops = [_as_bgr(c, i) for i, c in enumerate(crops)]
        if not crops:
            return np.zeros((0, self.dim), np.float32)
        parts = [self._backbone(crops[i:i + BATCH]) for i in range(0, len(crops), BATCH)]
        vectors = np.concatenate(parts)
        if self._colour_weight:
            vectors = np.concatenate([vectors, self._colour_weight * colour_histograms(crops)], axis=1)
        return _unit(vectors)

    def _backbone(self, crops: list[np.ndarray]) -> np.ndarray:
        """Band-pooled, per-band normalised features of a batch."""
        import torch

        batch = np.stack([_resize(c)[..., ::-1] for c in crops])  # the model was trained on RGB
        x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float().div_(255)
        with torch.inference_mode():
            fmap = _run(self._layers, x).numpy()
        edges = np.linspace(0, fmap.shape[2], BANDS + 1).round().astype(int)
        bands = [_unit(fmap[:, :, a:max(b, a + 1)].mean(axis=(2, 3))) for a, b in zip(edges, edges[1:], strict=False)]
        return np.concatenate(bands, axis=1)


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


def load_appearance(weights: Path | None = None, colour_weight: float = COLOUR_WEIGHT) -> AppearanceEncoder:
    """The encoder on a YOLO ``.pt`` checkpoint (default: the bundled detector); nothing is downloaded.

    ``colour_weight=0`` leaves the colour histogram out (the backbone alone, another ``model_tag``).
    """
    path = Path(weights) if weights is not None else resource_path(DEFAULT_DETECTOR)
    if not path.is_file() or path.suffix != ".pt":
        raise AppearanceError(f"{path}: appearance vectors need a YOLO .pt checkpoint file")
    return _cached(path.resolve(), path.stat().st_mtime_ns, colour_weight)


@functools.lru_cache(maxsize=4)
def _cached(path: Path, _mtime_ns: int, colour_weight: float) -> AppearanceEncoder:
    """One encoder per weights file and version of it: an engine restarted in the same process loads nothing.

    The layers only ever run forward under inference mode, so engines may share them.
    """
    model = _load_torch(path)
    layers = list(model.model[:FEATURE_LAYER + 1])
    channels = _channels(layers)
    kind = "backbone" if colour_weight else "backbone-only"
    tag = f"{path.stem}-{kind}-{SPACE_VERSION}-{file_sha256(path)[:8]}"
    logger.info("appearance vectors from %s (%s, %d channels)", path, tag, channels)
    return AppearanceEncoder(layers, tag, channels, colour_weight)


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


def _channels(layers: list) -> int:
    """Channels of the chosen layer's output, from one tiny forward pass."""
    import torch

    with torch.inference_mode():
        return int(_run(layers, torch.zeros(1, 3, *INPUT_HW)).shape[1])


def _run(layers: list, x):
    """Forward through the layers, following each one's ``f`` (from) index as ultralytics does."""
    outputs = []
    for layer in layers:
        if layer.f != -1:
            x = outputs[layer.f] if isinstance(layer.f, int) else [x if j == -1 else outputs[j] for j in layer.f]
        x = layer(x)
        outputs.append(x)
    return x


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
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV).astype(np.int32)
    h, w = hsv.shape[:2]
    across = np.exp(-0.5 * ((np.arange(w) - (w - 1) / 2) / (w / 4)) ** 2)
    index = (hsv[..., 0] * HIST_BINS[0] // 180) * HIST_BINS[1] * HIST_BINS[2] \
        + (hsv[..., 1] * HIST_BINS[1] // 256) * HIST_BINS[2] + hsv[..., 2] * HIST_BINS[2] // 256
    size = int(np.prod(HIST_BINS))
    halves = []
    for rows in (slice(0, max(h // 2, 1)), slice(h // 2, h)):
        weights = np.broadcast_to(across, index[rows].shape).ravel()
        counts = np.bincount(index[rows].ravel(), weights=weights, minlength=size)
        halves.append(_unit(np.sqrt(counts / max(counts.sum(), 1e-12))))
    return _unit(np.concatenate(halves))


def colour_histograms(crops: list[np.ndarray]) -> np.ndarray:
    """``colour_histogram`` of each crop, (n, colour_dim()) float32."""
    if not crops:
        return np.zeros((0, colour_dim()), np.float32)
    return np.stack([colour_histogram(c) for c in crops]).astype(np.float32)
