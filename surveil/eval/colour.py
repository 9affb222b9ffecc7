"""Score the colour words against crops labelled by eye: accuracy, confusion matrix, has_colour precision/recall.

The labels file holds no pixels, only where each crop is (clip, frame, box): the crops are cut from the clips
here, at scoring time, because most of the test clips may not be copied into the repository.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from surveil.vision.colour import PALETTE, PARTS, dominant, has_colour

logger = logging.getLogger(__name__)

LABELS_FILE = Path(__file__).resolve().parents[2] / "tests" / "data" / "colour_labels.csv"
_COLUMNS = ("clip", "frame", "x1", "y1", "x2", "y2", "label", "part", "colour")


class LabelsError(Exception):
    """A labels file or clip that cannot be used; the message is the line to print."""


@dataclass(frozen=True)
class ColourLabel:
    """One crop's colour as a person saw it: where the crop is, the object's class, the part and the colour."""

    clip: str
    frame: int
    box: tuple[int, int, int, int]
    label: str
    part: str
    colour: str


def load_labels(path: Path) -> list[ColourLabel]:
    """Read the labels CSV; LabelsError names the first bad row."""
    if not path.is_file():
        raise LabelsError(f"{path}: no such labels file")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            raise LabelsError(f"{path}: the columns must be {','.join(_COLUMNS)}")
        return [_row(path, number, row) for number, row in enumerate(reader, start=2)]


def _row(path: Path, number: int, row: dict) -> ColourLabel:
    try:
        box = tuple(int(row[k]) for k in ("x1", "y1", "x2", "y2"))
        label = ColourLabel(row["clip"], int(row["frame"]), box, row["label"], row["part"], row["colour"])
    except (TypeError, ValueError):
        raise LabelsError(f"{path}:{number}: frame and box must be whole numbers") from None
    if label.part not in PARTS or label.colour not in PALETTE or box[2] <= box[0] or box[3] <= box[1]:
        raise LabelsError(f"{path}:{number}: unknown part or colour, or an empty box")
    return label


def crops(labels: list[ColourLabel], media: Path) -> Iterator[tuple[ColourLabel, np.ndarray]]:
    """Each label with its crop, cut from its clip by reading frames in order (seeking is not frame-exact)."""
    for item, frame in labelled_frames(labels, media):
        x1, y1, x2, y2 = item.box
        yield item, frame[y1:y2, x1:x2]


def labelled_frames(labels: list[ColourLabel], media: Path) -> Iterator[tuple[ColourLabel, np.ndarray]]:
    """Each label with the whole frame it was made on (for cutting as the engine does, with context)."""
    by_clip: dict[str, list[ColourLabel]] = {}
    for item in labels:
        by_clip.setdefault(item.clip, []).append(item)
    for clip, items in by_clip.items():
        wanted: dict[int, list[ColourLabel]] = {}
        for item in items:
            wanted.setdefault(item.frame, []).append(item)
        for number, frame in _frames(media / clip, set(wanted)):
            for item in wanted[number]:
                yield item, frame


def _frames(path: Path, wanted: set[int]) -> Iterator[tuple[int, np.ndarray]]:
    if not path.is_file():
        raise LabelsError(f"{path}: no such clip")
    capture = cv2.VideoCapture(str(path))
    try:
        for number in range(max(wanted) + 1):
            ok, frame = capture.read()
            if not ok:
                raise LabelsError(f"{path}: ends before frame {max(wanted)}")
            if number in wanted:
                yield number, frame
    finally:
        capture.release()


@dataclass
class ColourReport:
    """Predicted against labelled colours, per crop part, with has_colour's hits for the labelled colour."""

    rows: list[tuple[ColourLabel, str, frozenset[str]]] = field(default_factory=list)  # label, predicted, fired

    @property
    def accuracy(self) -> float:
        """Share of parts whose predicted colour is the labelled one."""
        return sum(label.colour == predicted for label, predicted, _ in self.rows) / max(1, len(self.rows))

    def matrix(self) -> dict[str, dict[str, int]]:
        """Counts by labelled colour (rows) and predicted colour (columns), over the colours that occur."""
        seen = [c for c in PALETTE if any(c in (label.colour, p) for label, p, _ in self.rows)]
        table = {row: dict.fromkeys(seen, 0) for row in seen}
        for label, predicted, _ in self.rows:
            table[label.colour][predicted] += 1
        return table

    def has_colour_scores(self) -> dict[str, dict[str, float | int]]:
        """Per labelled colour, has_colour's recall on parts labelled it and precision over the parts it fired on.

        A part has one label, its main colour, so a fire on a second colour that is really there (a white van's
        red lettering) counts against precision: the precision is a lower bound.
        """
        out = {}
        for colour in PALETTE:
            hits = sum(label.colour == colour and colour in fired for label, _, fired in self.rows)
            labelled = sum(label.colour == colour for label, _, _ in self.rows)
            fired = sum(colour in fired for _, _, fired in self.rows)
            if labelled:
                out[colour] = {"labelled": labelled, "fired": fired, "recall": round(hits / labelled, 4),
                               "precision": round(hits / fired, 4) if fired else None}
        return out

    def text(self) -> str:
        """Accuracy, the confusion matrix and has_colour's scores as a plain-text table."""
        table = self.matrix()
        lines = [f"{len(self.rows)} labelled parts, accuracy {self.accuracy:.1%}", "",
                 "label \\ predicted " + " ".join(f"{c:>6}" for c in table)]
        lines += [f"{row:>18} " + " ".join(f"{n:>6}" for n in counts.values()) for row, counts in table.items()]
        lines += ["", "has_colour   labelled  fired  recall  precision"]
        for colour, s in self.has_colour_scores().items():
            precision = "-" if s["precision"] is None else f"{s['precision']:.0%}"
            lines.append(f"{colour:>10} {s['labelled']:>10} {s['fired']:>6} {s['recall']:>7.0%} {precision:>10}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """A JSON-ready summary."""
        return {"crops": len(self.rows), "accuracy": round(self.accuracy, 4), "matrix": self.matrix(),
                "has_colour": self.has_colour_scores()}


def evaluate(labels: list[ColourLabel], media: Path) -> ColourReport:
    """Cut every labelled crop, predict its part's colour and ask has_colour about every palette colour."""
    report = ColourReport()
    for item, crop in crops(labels, media):
        fired = frozenset(c for c in PALETTE if has_colour(crop, item.label, c, item.part)[0])
        report.rows.append((item, dominant(crop, item.label, item.part), fired))
    return report
