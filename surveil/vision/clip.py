"""The CLIP encoder: crops and prompts into one embedding space, with text embeddings cached.

Embeddings are L2-normalised float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Protocol

import numpy as np

from surveil.config.sections import ClipConfig
from surveil.vision.clip_weights import ClipUnavailable, clip_cache_dir, resolve_clip_weights

logger = logging.getLogger(__name__)

BATCH = 32


class TextImageEncoder(Protocol):
    """What scoring needs; tests provide a fake with chosen embeddings."""

    logit_scale: float

    def encode_text(self, prompts: list[str], owner: str = "") -> np.ndarray:
        """(len(prompts), dim) normalised text embeddings."""
        ...

    def encode_images(self, crops: list[np.ndarray]) -> np.ndarray:
        """(len(crops), dim) normalised image embeddings of BGR crops."""
        ...


class ClipEncoder:
    """open_clip behind the TextImageEncoder interface.

    ``load()`` refuses to run without real weights; ``random_weights()`` exists for
    tests, which check plumbing (shapes, batching, caching), not meaning.
    """

    def __init__(self, model, preprocess, tokenizer, key: str, text_cache: Path | None):
        import torch

        self._torch = torch
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.key = key
        self.logit_scale = float(model.logit_scale.exp().item())
        self.context_length = int(getattr(tokenizer, "context_length", 77))
        self._text_memory: dict[str, np.ndarray] = {}
        self._text_cache = text_cache / key if text_cache else None

    @classmethod
    def load(cls, config: ClipConfig, model_cache: Path) -> ClipEncoder:
        """Real weights from the checkpoint or the model cache, else ClipUnavailable."""
        path = resolve_clip_weights(config, model_cache)
        import open_clip

        try:
            model, _, preprocess = open_clip.create_model_and_transforms(config.model, pretrained=str(path))
        except Exception as exc:
            raise ClipUnavailable(f"cannot load CLIP weights {path}: {type(exc).__name__}: {exc}") from None
        key = f"{config.model}-{config.pretrained if config.checkpoint is None else _digest(str(path))}"
        return cls(model, preprocess, open_clip.get_tokenizer(config.model), key,
                   clip_cache_dir(model_cache) / "text-embeddings")

    @classmethod
    def random_weights(cls, model_name: str = "ViT-B-32", text_cache: Path | None = None) -> ClipEncoder:
        """Randomly initialised weights: for tests of the plumbing only, never for decisions."""
        import open_clip

        model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=None)
        return cls(model, preprocess, open_clip.get_tokenizer(model_name), f"{model_name}-random", text_cache)

    @property
    def dim(self) -> int:
        """Embedding width."""
        return int(self.encode_text(["a photo"]).shape[1])

    def encode_text(self, prompts: list[str], owner: str = "") -> np.ndarray:
        """Embed prompts, from memory, then disk, then the model; warns once per truncated prompt."""
        missing = [p for p in dict.fromkeys(prompts) if p not in self._text_memory and not self._from_disk(p)]
        if missing:
            self._warn_if_truncated(missing, owner)
            with self._torch.inference_mode():
                features = self.model.encode_text(self.tokenizer(missing)).float()
            for prompt, row in zip(missing, _normalise(features.numpy()), strict=True):
                self._text_memory[prompt] = row
                self._to_disk(prompt, row)
        return np.stack([self._text_memory[p] for p in prompts]) if prompts else np.zeros((0, 0), np.float32)

    def encode_images(self, crops: list[np.ndarray]) -> np.ndarray:
        """Embed BGR crops in batches of up to 32."""
        from PIL import Image

        rows = []
        for start in range(0, len(crops), BATCH):
            batch = [self.preprocess(Image.fromarray(np.ascontiguousarray(c[:, :, ::-1])))
                     for c in crops[start:start + BATCH]]
            with self._torch.inference_mode():
                rows.append(_normalise(self.model.encode_image(self._torch.stack(batch)).float().numpy()))
        return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)

    def _warn_if_truncated(self, prompts: list[str], owner: str) -> None:
        inner = getattr(self.tokenizer, "encode", None)
        for prompt in prompts:
            tokens = len(inner(prompt)) + 2 if inner else 0  # start and end tokens
            if tokens > self.context_length:
                logger.warning("rule %s: prompt '%s…' has %d tokens; CLIP reads only the first %d",
                               owner or "?", prompt[:40], tokens, self.context_length)

    def _from_disk(self, prompt: str) -> bool:
        if self._text_cache is None:
            return False
        path = self._text_cache / f"{_digest(prompt)}.npy"
        if not path.is_file():
            return False
        try:
            self._text_memory[prompt] = np.load(path)
        except (OSError, ValueError):
            return False  # a damaged cache file is recomputed, not trusted
        return True

    def _to_disk(self, prompt: str, row: np.ndarray) -> None:
        if self._text_cache is None:
            return
        try:
            self._text_cache.mkdir(parents=True, exist_ok=True)
            np.save(self._text_cache / f"{_digest(prompt)}.npy", row)
        except OSError as exc:  # a full disk costs a recomputation next start, nothing more
            logger.warning("cannot cache a text embedding: %s", exc)


def _normalise(rows: np.ndarray) -> np.ndarray:
    return (rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load_encoder_or_reason(config: ClipConfig, model_cache: Path) -> tuple[ClipEncoder | None, str]:
    """The encoder, or None and the plain-words reason CLIP conditions are unavailable."""
    try:
        return ClipEncoder.load(config, model_cache), ""
    except ClipUnavailable as exc:
        return None, str(exc)
