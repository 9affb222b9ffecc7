"""Cut candidate crops for colour labelling out of the shared clips and tile them into numbered contact sheets.

Run by hand (not a test): ``python tests/make_colour_sheets.py OUT_DIR``. It writes ``candidates.csv`` (one row per
numbered crop: clip, frame, box, label) and ``sheet_*.png`` (the crops enlarged, numbered) to OUT_DIR, which must be
outside the repository: only the PETS clip may be committed, so no crop of the other clips is ever saved in it.
A person then looks at the sheets and copies the rows whose colour they can tell into tests/data/colour_labels.csv.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import cv2
import numpy as np

ASSETS = Path(os.environ.get("SURVEIL_TEST_ASSETS", "/work/shared"))
VEHICLES = {"car", "truck", "bus", "motorcycle", "bicycle"}
# clip, frames to sample, classes kept, smallest box side worth labelling (pixels)
PLAN = [
    ("highway_traffic_640x360.mp4", range(15, 917, 45), VEHICLES, 28),
    ("night_lane_cctv_1280x720.mp4", range(50, 1081, 500), VEHICLES, 28),
    ("pets2009_walkway_480x360.avi", range(10, 795, 60), {"person"}, 18),
    ("lobby_cctv_640x360.mp4", range(10, 641, 90), {"person"}, 24),
]
TILE = 160  # each crop is scaled so its longer side is this many pixels: large enough to judge a colour by eye


def frames(path: Path, wanted: range):
    """(number, BGR frame) for the wanted frame numbers, read in order."""
    capture = cv2.VideoCapture(str(path))
    index, wanted_set = 0, set(wanted)
    while index <= max(wanted):
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted_set:
            yield index, frame
        index += 1
    capture.release()


def candidates(model) -> list[dict]:
    """Every detection worth labelling, one dict per crop, with the crop itself under 'crop'."""
    rows = []
    for clip, wanted, keep, smallest in PLAN:
        for number, frame in frames(ASSETS / "media" / clip, wanted):
            result = model.predict(frame, conf=0.45, verbose=False)[0]
            for box, cls in zip(result.boxes.xyxy.numpy(), result.boxes.cls.numpy(), strict=True):
                label = model.names[int(cls)]
                x1, y1, x2, y2 = (int(round(v)) for v in box)
                if label in keep and min(x2 - x1, y2 - y1) >= smallest:
                    rows.append({"clip": clip, "frame": number, "x1": x1, "y1": y1, "x2": x2, "y2": y2,
                                 "label": label, "crop": frame[y1:y2, x1:x2].copy()})
    return rows


def tile(crop: np.ndarray, number: int) -> np.ndarray:
    """The crop on a TILE x (TILE + 20) grey tile, enlarged with nearest pixels, its number on top."""
    out = np.full((TILE + 20, TILE, 3), 128, np.uint8)
    scale = TILE / max(crop.shape[:2])
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    out[20:20 + small.shape[0], :small.shape[1]] = small
    cv2.putText(out, str(number), (3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 2)
    cv2.putText(out, str(number), (3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    return out


def write_sheets(rows: list[dict], out: Path, per_row: int = 8, per_sheet: int = 32) -> None:
    """PNG sheets of numbered tiles, per_sheet crops each."""
    for start in range(0, len(rows), per_sheet):
        tiles = [tile(r["crop"], start + i) for i, r in enumerate(rows[start:start + per_sheet])]
        tiles += [np.full_like(tiles[0], 128)] * (-len(tiles) % per_row)
        lines = [np.hstack(tiles[i:i + per_row]) for i in range(0, len(tiles), per_row)]
        cv2.imwrite(str(out / f"sheet_{start // per_sheet:02d}.png"), np.vstack(lines))


def main(out: Path) -> None:
    """Detect, cut, write candidates.csv and the sheets."""
    from ultralytics import YOLO

    out.mkdir(parents=True, exist_ok=True)
    rows = candidates(YOLO(str(ASSETS / "models" / "yolo11n.pt")))
    with open(out / "candidates.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["n", "clip", "frame", "x1", "y1", "x2", "y2", "label"])
        for n, r in enumerate(rows):
            writer.writerow([n, r["clip"], r["frame"], r["x1"], r["y1"], r["x2"], r["y2"], r["label"]])
    write_sheets(rows, out)
    print(f"{len(rows)} candidates in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
