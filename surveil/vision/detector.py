"""Object detection behind a small interface: an ultralytics YOLO backend (PyTorch or OpenVINO)."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from surveil.config.sections import DetectorConfig
from surveil.resources import DEFAULT_DETECTOR
from surveil.vision import ov_convert, packing
from surveil.vision.detections import Detections
from surveil.vision.runtime import configure_ultralytics, pick_device
from surveil.vision.weights import WeightsNotFound, is_openvino_export, resolve_weights

logger = logging.getLogger(__name__)


class DetectorError(Exception):
    """Weights that cannot be found or loaded, or a model that is not a detector."""


class Detector(Protocol):
    """What the pipeline needs from a detector; tests use a fake with the same shape."""

    names: dict[int, str]

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        """One Detections per image, in order."""
        ...


class YoloDetector:
    """Ultralytics YOLO from a ``.pt`` file or an OpenVINO export folder, chosen by the weights path.

    An OpenVINO export with no ``openvino`` package installed falls back to the bundled
    ``.pt`` with a warning, instead of ultralytics trying to pip-install it mid-run.
    """

    def __init__(self, config: DetectorConfig, cache_dir: Path):
        self.config = config
        self.path, self.backend = self._choose(config.weights, cache_dir)
        self.device = "cpu" if self.backend == "openvino" else pick_device(config.device)
        self.model = self._load(self.path)
        self.names: dict[int, str] = {int(k): str(v) for k, v in self.model.names.items()}
        self._classes = self._class_ids(config.classes)
        # A free input shape takes a batch of frames, each letterboxed to its own rectangle; a fixed
        # square one (the static OpenVINO export) letterboxes wide frames: two share one call instead.
        free_shape = self.backend == "torch" or ov_convert.is_dynamic(self.path)
        self.batch_capable = free_shape
        self.packs = config.pack_frames and not free_shape

    def __repr__(self) -> str:
        return f"YoloDetector({self.path.name}, {self.backend}, {self.device})"

    def detect(self, images: list[np.ndarray]) -> list[Detections]:
        """Detect in every image; several cameras' frames go through one call where the backend allows."""
        if not images:
            return []
        if self.batch_capable:
            return [Detections.from_ultralytics(r) for r in self._predict(images)]
        if not self.packs or len(images) < 2:
            return [Detections.from_ultralytics(self._predict([image])[0]) for image in images]
        side = self.config.image_size
        out: list[Detections | None] = [None] * len(images)
        for group in packing.plan([image.shape[:2] for image in images], side):
            if len(group) == 1:
                out[group[0]] = Detections.from_ultralytics(self._predict([images[group[0]]])[0])
                continue
            canvas, placements = packing.compose([images[i] for i in group], side)
            found = Detections.from_ultralytics(self._predict([canvas])[0])
            for i, dets in zip(group, packing.split(found, placements, side), strict=True):
                out[i] = dets
        return out

    def warmup(self) -> None:
        """Run once on a blank frame so the first real frame is not slow; call before reporting ready."""
        size = self.config.image_size
        self.detect([np.zeros((size, size, 3), np.uint8)])

    def _predict(self, images: list[np.ndarray]):
        return self.model.predict(images, conf=self.config.confidence, imgsz=self.config.image_size,
                                  device=self.device, classes=self._classes, verbose=False)

    def _choose(self, weights: str, cache_dir: Path) -> tuple[Path, str]:
        try:
            path = resolve_weights(weights, cache_dir)
        except WeightsNotFound as exc:
            raise DetectorError(str(exc)) from None
        if not is_openvino_export(path):
            return self._runtime_for(path, cache_dir)
        if importlib.util.find_spec("openvino") is None:
            fallback = resolve_weights(DEFAULT_DETECTOR, cache_dir)
            logger.warning("%s is an OpenVINO export but the openvino package is not installed "
                           "(pip install 'surveil[openvino]'); using %s instead", path, fallback.name)
            return fallback, "torch"
        return path, "openvino"

    def _runtime_for(self, path: Path, cache_dir: Path) -> tuple[Path, str]:
        """.pt weights on OpenVINO (converted once) where the config and the machine allow, else on torch."""
        if self.config.runtime == "openvino" and importlib.util.find_spec("openvino") is None:
            logger.warning("models.detector.runtime is openvino but the openvino package is not installed "
                           "(pip install 'surveil[openvino]'); running %s on torch", path.name)
        if ov_convert.runtime_for(self.config) == "torch":
            return path, "torch"
        if self.config.device not in ("auto", "cpu"):
            logger.warning("models.detector.runtime is openvino: %s runs on the CPU, not on device %s",
                           path.name, self.config.device)
        try:
            return ov_convert.converted(path, cache_dir), "openvino"
        except Exception as exc:  # ultralytics' export raises many kinds; torch still runs the weights
            logger.warning("could not convert %s for OpenVINO (%s: %s); running it on torch",
                           path.name, type(exc).__name__, exc)
            return path, "torch"

    def _load(self, path: Path):
        configure_ultralytics()
        from ultralytics import YOLO

        try:
            model = YOLO(str(path), task="detect")
        except Exception as exc:  # ultralytics raises many kinds for a bad file; the operator needs one
            raise DetectorError(f"cannot load detector weights {path}: {type(exc).__name__}: {exc}") from None
        if getattr(model, "task", "detect") != "detect":
            raise DetectorError(f"{path} is a '{model.task}' model, not a detector")
        return model

    def _class_ids(self, wanted: list[str]) -> list[int] | None:
        if not wanted:
            return None
        by_name = {name: i for i, name in self.names.items()}
        unknown = [name for name in wanted if name not in by_name]
        if unknown:
            raise DetectorError(f"unknown classes {unknown} for {self.path.name}; it knows: {', '.join(by_name)}")
        return [by_name[name] for name in wanted]
