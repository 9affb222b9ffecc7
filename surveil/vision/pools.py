"""Thread pools sized once for the machine, before the first model or camera starts.

Every library brings its own pool and sizes it to the whole machine: with a dozen cameras on
two cores that is dozens of busy threads taking turns. Here the work is already spread over
threads of our own (one capture thread per camera, one analysis thread), so the libraries get:

- FFmpeg: one decoder thread per camera (set where each stream is opened): small streams
  decode in well under a millisecond a frame and many cameras keep every core busy anyway;
- OpenCV: one thread. It only sees 320 px grey frames (gate, flow) and crops, where
  splitting work costs more than it saves;
- OpenVINO (the detector): one inference at a time on every core, from the analysis thread;
- torch: every core but one, as ultralytics sets it at its first prediction anyway: torch's idle
  threads spin after each call, which on two cores tripled the CPU of appearance vectors; no
  inter-op pool, which would only add threads. (Appearance vectors run on OpenVINO with one
  thread where it is installed.)
"""

from __future__ import annotations

import functools
import logging
import os

logger = logging.getLogger(__name__)


@functools.cache
def configure() -> dict[str, int]:
    """Size the pools (once per process) and return the choice, for logs and benchmarks."""
    from surveil.capture.cv import cv2
    from surveil.capture.demux import DECODER_THREADS

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    cv2.setNumThreads(1)
    choice = {"cores": cores, "decoder threads per camera": DECODER_THREADS, "opencv": 1,
              "torch": _torch(cores), "openvino": cores}
    logger.info("thread pools: %s", ", ".join(f"{k} {v}" for k, v in choice.items()))
    return choice


def _torch(cores: int) -> int:
    import torch

    torch.set_num_threads(max(1, cores - 1))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only allowed before torch's first parallel work; then it keeps its own
        pass
    return torch.get_num_threads()


def describe() -> str:
    """One line for a benchmark's header."""
    return "threads: " + ", ".join(f"{k} {v}" for k, v in configure().items())
