"""Where CLIP weights come from: a checkpoint file, or an open_clip pretrained tag in the model cache.

Nothing here downloads unless ``download()`` is called: the app never fetches weights
behind the operator's back, and never runs random weights (only tests ask for those).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from surveil.config.sections import ClipConfig

logger = logging.getLogger(__name__)

_HF_NAMES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


class ClipUnavailable(Exception):
    """CLIP cannot run: the reason is written for an operator."""


@dataclass(frozen=True)
class WeightsState:
    """What ``surveil models`` shows for one model."""

    name: str
    state: str  # present, missing, downloadable
    path: Path | None
    detail: str


def clip_cache_dir(model_cache: Path) -> Path:
    """The folder open_clip downloads go into."""
    return model_cache / "clip"


def clip_state(config: ClipConfig, model_cache: Path) -> WeightsState:
    """Whether the configured CLIP weights are on disk, can be downloaded, or neither."""
    name = f"CLIP {config.model}" + (f" ({config.checkpoint})" if config.checkpoint else f" / {config.pretrained}")
    if config.checkpoint is not None:
        path = Path(config.checkpoint).expanduser()
        if path.is_file():
            return WeightsState(name, "present", path, "checkpoint file")
        return WeightsState(name, "missing", None, f"checkpoint file not found: {path}")
    import open_clip

    if config.model not in open_clip.list_models():
        return WeightsState(name, "missing", None, f"open_clip has no model '{config.model}'")
    cfg = open_clip.get_pretrained_cfg(config.model, config.pretrained)
    if not cfg:
        tags = ", ".join(t for m, t in open_clip.list_pretrained() if m == config.model) or "none"
        return WeightsState(name, "missing", None, f"no pretrained tag '{config.pretrained}' (known: {tags})")
    local = _cached_file(cfg, clip_cache_dir(model_cache))
    if local is not None:
        return WeightsState(name, "present", local, "in the model cache")
    return WeightsState(name, "downloadable", None, "not in the model cache: run `surveil models download`")


def resolve_clip_weights(config: ClipConfig, model_cache: Path) -> Path:
    """The local weights file, or ClipUnavailable saying why and what to do."""
    state = clip_state(config, model_cache)
    if state.state != "present" or state.path is None:
        raise ClipUnavailable(f"{state.name}: {state.detail}")
    return state.path


def download_clip(config: ClipConfig, model_cache: Path) -> Path:
    """Fetch the pretrained weights into the model cache (with huggingface_hub's progress bar)."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(config.model, config.pretrained)
    if not cfg:
        raise ClipUnavailable(f"no pretrained tag '{config.pretrained}' for {config.model}")
    try:
        path = open_clip.pretrained.download_pretrained(cfg, cache_dir=str(clip_cache_dir(model_cache)))
    except Exception as exc:  # network errors come in many types; the operator needs the gist
        raise ClipUnavailable(f"could not download {config.model}/{config.pretrained}: {exc}") from None
    if not path or not os.path.isfile(path):
        raise ClipUnavailable(f"download of {config.model}/{config.pretrained} gave no file")
    logger.info("downloaded %s/%s to %s", config.model, config.pretrained, path)
    return Path(path)


def _cached_file(cfg: dict, cache: Path) -> Path | None:
    if cfg.get("file"):
        return Path(cfg["file"]) if Path(cfg["file"]).is_file() else None
    hub = cfg.get("hf_hub", "")
    if not hub:
        return None
    from huggingface_hub import try_to_load_from_cache

    repo, filename = os.path.split(hub)
    for name in ([filename] if filename else []) + list(_HF_NAMES):
        found = try_to_load_from_cache(repo, name, cache_dir=str(cache))
        if isinstance(found, str) and os.path.isfile(found):
            return Path(found)
    return None
