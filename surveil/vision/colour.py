"""Named colours of an object from its pixels, so a rule such as "a red car" can be checked without CLIP.

Each pixel of the part of the box that shows the object's colour (a person's torso or legs, a vehicle's
paintwork) is put in one palette colour: pixels with little chroma go to black, grey or white by brightness,
the others to a hue. A colour is present when its share of the part reaches a threshold per colour; greys
need a far larger share than chromatic colours because shadows, windows, tyres and road are grey or black.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

logger = logging.getLogger(__name__)

PALETTE = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey")
PARTS = ("body", "upper", "lower")  # a person has an upper and a lower part; every object has a body
VEHICLES = frozenset({"car", "truck", "bus", "motorcycle", "bicycle", "train", "boat"})

# Share of the part a colour needs to count as present, tuned with the pixel rules below on the labelled crops of
# tests/data/colour_labels.csv (so the accuracy measured there is in-sample).
THRESHOLDS = {"red": 0.12, "orange": 0.12, "yellow": 0.12, "green": 0.12, "blue": 0.15, "purple": 0.12,
              "pink": 0.12, "brown": 0.15, "black": 0.40, "white": 0.45, "grey": 0.55}

# Hue bins in OpenCV degrees (0-179): the upper end of each bin, in order; red wraps around 180. On the test
# cameras red paint leans to magenta (155-170) and orange paint reads at red's hue; pink clothes sit at 140-155.
_HUES = ((6, "red"), (19, "orange"), (33, "yellow"), (85, "green"), (128, "blue"), (140, "purple"),
         (155, "pink"), (180, "red"))
_BROWN_BRIGHT = 140  # orange and yellow hues darker than this read as brown
_PINK_BRIGHT = 150  # a red hue at least this bright with under half its brightness in chroma is pink


@dataclass(frozen=True)
class PixelRules:
    """Brightness and chroma (max - min of B, G, R) limits that sort a pixel into black, grey, white or a hue."""

    dark: int  # any pixel darker than this (its max of B, G, R) is black
    white: int  # unsaturated and at least this bright: white, else grey
    chroma: int  # less chroma than this: unsaturated (CCTV casts give greys 10-30)
    blue_chroma: int  # poor white balance makes greys bluish, so blue needs more chroma to count


# People: clothes are matt, so a grey stays near-neutral (chroma under 20) while faded jeans reach 20-40.
# Vehicles: glossy paint seen from above mirrors the sky, which gives silver, white and black cars a blue chroma of
# 30-60 on the motorway clip; silver reads darker and white duller than cloth, and black paint's reflections lift it
# above the dark limit that suits clothes (both limits tuned on the labelled crops).
PERSON_RULES = PixelRules(dark=75, white=180, chroma=20, blue_chroma=30)
VEHICLE_RULES = PixelRules(dark=75, white=150, chroma=32, blue_chroma=75)

_SYNONYMS = {"gray": "grey", "silver": "grey", "charcoal": "grey", "navy": "blue", "dark blue": "blue",
             "light blue": "blue", "sky blue": "blue", "turquoise": "blue", "cyan": "blue", "teal": "green",
             "maroon": "red", "burgundy": "red", "crimson": "red", "scarlet": "red", "violet": "purple",
             "magenta": "pink", "beige": "brown", "tan": "brown", "khaki": "brown", "gold": "yellow",
             "cream": "white", "ivory": "white", "olive": "green", "lime": "green"}


def colour_name(word: str) -> str | None:
    """The palette colour a word names ('silver' -> 'grey', 'navy' -> 'blue'), or None for a non-colour."""
    text = " ".join(word.lower().replace("-", " ").split())
    if text in PALETTE:
        return text
    if text in _SYNONYMS:
        return _SYNONYMS[text]
    last = text.rsplit(" ", 1)[-1]  # "dark red", "bright yellow": the colour is the last word
    return last if last in PALETTE and last != text else None


def is_vehicle(label: str) -> bool:
    """Whether a detector label is a vehicle, whose colour is its paintwork."""
    return label in VEHICLES


def part_regions(shape: tuple[int, ...], label: str) -> dict[str, tuple[int, int, int, int]]:
    """Per part, the (y1, y2, x1, x2) of the crop that shows its colour."""
    h, w = shape[:2]

    def box(top: float, bottom: float, side: float) -> tuple[int, int, int, int]:
        y1, y2 = int(h * top), max(int(h * top) + 1, int(round(h * bottom)))
        x1, x2 = int(w * side), max(int(w * side) + 1, int(round(w * (1 - side))))
        return y1, y2, x1, x2

    if label == "person":  # the head (top 15 %) and the feet and floor (last 10 %) are not clothes
        return {"upper": box(0.15, 0.55, 0.2), "lower": box(0.55, 0.9, 0.2), "body": box(0.15, 0.9, 0.2)}
    if is_vehicle(label):  # the road shows at the box's edges; windows and lights are left to the thresholds
        return {"body": box(0.1, 0.9, 0.15)}
    return {"body": box(0.1, 0.9, 0.1)}


def pixel_colours(pixels: np.ndarray, rules: PixelRules = PERSON_RULES) -> np.ndarray:
    """The PALETTE index of each pixel of an (N, 3) or (H, W, 3) BGR array."""
    bgr = pixels.reshape(-1, 1, 3).astype(np.uint8)
    hue = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV_FULL)[:, 0, 0].astype(np.int32) * 180 // 256
    flat = bgr[:, 0, :].astype(np.int32)
    bright, chroma = flat.max(axis=1), flat.max(axis=1) - flat.min(axis=1)
    edges = np.array([edge for edge, _ in _HUES])
    names = np.array([PALETTE.index(name) for _, name in _HUES])
    out = names[np.searchsorted(edges, hue, side="right").clip(0, len(edges) - 1)]
    warm = np.isin(out, [PALETTE.index(c) for c in ("red", "orange", "yellow")])
    out = np.where(warm & (bright < _BROWN_BRIGHT) & (out != PALETTE.index("red")), PALETTE.index("brown"), out)
    pale = (out == PALETTE.index("red")) & (bright >= _PINK_BRIGHT) & (chroma < bright // 2)
    out = np.where(pale, PALETTE.index("pink"), out)  # light, washed-out red is pink
    grey = (chroma < rules.chroma) | ((out == PALETTE.index("blue")) & (chroma < rules.blue_chroma))
    out = np.where(grey, np.where(bright >= rules.white, PALETTE.index("white"), PALETTE.index("grey")), out)
    return np.where(bright < rules.dark, PALETTE.index("black"), out)


def colour_shares(crop: np.ndarray, label: str) -> dict[str, dict[str, float]]:
    """Per part, the share (0-1) of the part's pixels in each palette colour; BGR crop of the box."""
    if crop.ndim != 3 or crop.shape[2] != 3 or crop.size == 0:
        raise ValueError(f"a BGR crop of shape (H, W, 3) is needed, not {crop.shape}")
    shares, rules = {}, VEHICLE_RULES if is_vehicle(label) else PERSON_RULES
    for part, (y1, y2, x1, x2) in part_regions(crop.shape, label).items():
        counts = np.bincount(pixel_colours(crop[y1:y2, x1:x2], rules), minlength=len(PALETTE))
        shares[part] = {name: float(n) / max(1, counts.sum()) for name, n in zip(PALETTE, counts, strict=True)}
    return shares


def scores(shares: dict[str, float]) -> dict[str, float]:
    """Each colour's share over its threshold: 1 or more means present; the largest is the part's colour."""
    return {name: shares[name] / THRESHOLDS[name] for name in PALETTE}


def dominant(crop: np.ndarray, label: str, part: str = "body") -> str:
    """The palette colour with the highest score in this part of the object."""
    part_scores = scores(colour_shares(crop, label)[_check_part(part, label)])
    return max(part_scores, key=part_scores.get)


def has_colour(crop: np.ndarray, label: str, colour: str, part: str = "body") -> tuple[bool, str]:
    """Whether the part of the object shows this colour, and a short reason ('red 41 % of the body')."""
    name = colour_name(colour)
    if name is None:
        raise ValueError(f"{colour!r} is not a colour this app knows ({', '.join(PALETTE)})")
    part = _check_part(part, label)
    shares = colour_shares(crop, label)[part]
    where = {"body": "the body", "upper": "the upper body", "lower": "the lower body"}[part]
    found = shares[name] >= THRESHOLDS[name]
    top = max(shares, key=shares.get)
    if found or top == name:
        return found, f"{name} {_percent(shares[name])} of {where}"
    return False, f"{where} mostly {top} ({_percent(shares[top])}), {name} {_percent(shares[name])}"


def _check_part(part: str, label: str) -> str:
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
    if part != "body" and label != "person":
        raise ValueError(f"a {label} has no {part} part; only a person has upper and lower")
    return part


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"
