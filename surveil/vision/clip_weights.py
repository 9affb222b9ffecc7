"""Where CLIP weights come from: a checkpoint file, or an open_clip pretrained tag in the model cache.

Nothing here downloads unless ``download()`` is called: the app never fetches weights
behind the operator's back, and never runs random weights (only tests ask for those).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from surveil.config.sections import ClipConfig

logger = logging.getLogger(__name__)

_HF_NAMES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
REACH_TIMEOUT_S = 5.0  # how long the check that the download host answers may take


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
    """Fetch the pretrained weights into the model cache, with huggingface_hub's progress bar on a terminal.

    Failures are one ClipUnavailable line that names the host and the weights. An unreachable host
    is found first, in seconds, so the library's retries (a minute of warnings) never start.
    """
    import open_clip

    cfg = open_clip.get_pretrained_cfg(config.model, config.pretrained)
    if not cfg:
        raise ClipUnavailable(f"no pretrained tag '{config.pretrained}' for {config.model}")
    what = f"{config.model} {config.pretrained} not downloaded"
    host, port = _download_host(cfg)
    blocked = _offline_reason(host, port, hub=bool(cfg.get("hf_hub")))
    if blocked:
        raise ClipUnavailable(f"{blocked}: {what}")
    try:
        with _quiet_download():
            path = open_clip.pretrained.download_pretrained(cfg, cache_dir=str(clip_cache_dir(model_cache)))
    except Exception as exc:  # network errors come in many types; the operator needs the gist
        logger.debug("download of %s/%s failed", config.model, config.pretrained, exc_info=True)
        raise ClipUnavailable(f"{_gist(exc, host)}: {what}") from None
    if not path or not os.path.isfile(path):
        raise ClipUnavailable(f"the download from {host} gave no file: {what}")
    logger.info("downloaded %s/%s to %s", config.model, config.pretrained, path)
    return Path(path)


def _download_host(cfg: dict) -> tuple[str, int]:
    """The host and port the weights come from: the Hugging Face endpoint, or the tag's own URL."""
    if cfg.get("hf_hub"):
        from huggingface_hub import constants

        url = urlparse(constants.ENDPOINT)
    else:
        url = urlparse(cfg.get("url", ""))
    return url.hostname or "the download server", url.port or (80 if url.scheme == "http" else 443)


def _offline_reason(host: str, port: int, hub: bool) -> str | None:
    """Why a download cannot start here, or None to try it (behind a proxy, the library finds out)."""
    if hub:
        from huggingface_hub import constants

        if constants.HF_HUB_OFFLINE:
            return "downloads are switched off (HF_HUB_OFFLINE is set)"
    if "https" in urllib.request.getproxies():
        return None
    try:
        socket.create_connection((host, port), timeout=REACH_TIMEOUT_S).close()
    except OSError:
        return f"cannot reach {host} (offline?)"
    return None


def _gist(exc: BaseException, host: str) -> str:
    """One line for a failed download: a lost connection says so; anything else, its first line."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(isinstance(e, OSError) or "connect" in type(e).__name__.lower() or "timeout" in type(e).__name__.lower()
           for e in chain):
        return f"cannot reach {host} (offline?)"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"download from {host} failed ({first[:200]})"


@contextmanager
def _quiet_download():
    """No retry warnings from the HTTP libraries, and no progress bar where stderr is not a terminal."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    loggers = [logging.getLogger(name) for name in ("huggingface_hub", "urllib3", "httpx", "httpcore")]
    levels = [log.level for log in loggers]
    bars_were_off = are_progress_bars_disabled()
    for log in loggers:
        log.setLevel(logging.ERROR)
    if not sys.stderr.isatty():
        disable_progress_bars()
    try:
        yield
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)
        if not bars_were_off:
            enable_progress_bars()


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
