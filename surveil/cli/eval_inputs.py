"""What every ``surveil eval`` on labelled footage checks first: the video opens and the ground truth fits it."""

from __future__ import annotations

from pathlib import Path


class EvalRefused(Exception):
    """An input or model that cannot be used; the message is the line to print."""


def video_and_truth(video: Path, gt: Path):
    """The ground truth, once the video opens and has as many frames as it covers (seconds before any model)."""
    from surveil.capture.probe import probe
    from surveil.eval.ground_truth import check_frame_count, load_ground_truth

    if not video.is_file():
        raise EvalRefused(f"{video}: no such file")
    found = probe(str(video))
    if not found.opened:
        raise EvalRefused(f"{video}: {found.error}")
    truth = load_ground_truth(gt)
    if found.frame_count:  # what the container declares; checked again against the frames decoded
        check_frame_count(truth, video, found.frame_count)
    return truth
