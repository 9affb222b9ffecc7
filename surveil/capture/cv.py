"""OpenCV, imported once with the process-wide settings capture relies on.

FFmpeg prints its own errors to stderr, and some of them echo the stream URL with
its credentials; we silence it and report our own masked reasons instead. RTSP goes
over TCP by default: UDP loses packets through NAT and firewalls (Frigate does the same).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")

import cv2  # noqa: E402

# Errors only: "backend can't be used by name" warnings are noise here. The env var
# above covers builds that lack this call.
try:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:
    pass

__all__ = ["cv2"]
