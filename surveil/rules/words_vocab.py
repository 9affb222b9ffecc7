"""The plain words a rule's prompt may use that the app can check without CLIP.

Kept apart from the parser so the vocabulary reads as one table (the README lists the same).
Every word here is lower case; plurals are listed where English does not simply add "s".
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

VEHICLES = frozenset({"car", "truck", "bus", "motorcycle"})
ANIMALS = frozenset({"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"})
BAGS = frozenset({"backpack", "handbag", "suitcase"})

# Object words -> the COCO classes a detector would give them. "car" is a car only: a van or a pickup is
# labelled car or truck by the detector, so those words take both; "vehicle" takes every road vehicle.
_OBJECTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("person", "persons", "people", "man", "men", "woman", "women", "pedestrian", "child",
                     "children", "kid", "boy", "girl", "someone", "somebody", "anyone", "anybody", "intruder",
                     "worker", "visitor", "individual", "adult", "human"), frozenset({"person"})),
    **dict.fromkeys(("car", "taxi", "sedan", "hatchback"), frozenset({"car"})),
    **dict.fromkeys(("vehicle",), VEHICLES),
    **dict.fromkeys(("van", "pickup", "suv", "minivan"), frozenset({"car", "truck"})),
    **dict.fromkeys(("truck", "lorry", "hgv"), frozenset({"truck"})),
    **dict.fromkeys(("bus", "buses", "coach", "coaches", "minibus"), frozenset({"bus"})),
    "bike": frozenset({"bicycle", "motorcycle"}),
    **dict.fromkeys(("bicycle", "cyclist", "cycle"), frozenset({"bicycle"})),
    **dict.fromkeys(("motorbike", "motorcycle", "scooter", "moped", "motorcyclist"), frozenset({"motorcycle"})),
    **dict.fromkeys(("boat",), frozenset({"boat"})),
    **dict.fromkeys(("train",), frozenset({"train"})),
    **dict.fromkeys(("airplane", "aeroplane", "plane", "aircraft"), frozenset({"airplane"})),
    **dict.fromkeys(("dog", "puppy", "puppies"), frozenset({"dog"})),
    **dict.fromkeys(("cat", "kitten"), frozenset({"cat"})),
    **dict.fromkeys(("bird", "pigeon", "gull", "seagull"), frozenset({"bird"})),
    **{name: frozenset({name}) for name in ("horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe")},
    "cattle": frozenset({"cow"}),
    "animal": ANIMALS,
    "pet": frozenset({"cat", "dog"}),
    "bag": BAGS,
    **dict.fromkeys(("backpack", "rucksack"), frozenset({"backpack"})),
    **dict.fromkeys(("handbag", "purse"), frozenset({"handbag"})),
    **dict.fromkeys(("suitcase", "luggage"), frozenset({"suitcase"})),
    **dict.fromkeys(("knife", "knives"), frozenset({"knife"})),
    **dict.fromkeys(("phone", "smartphone", "cellphone"), frozenset({"cell phone"})),
    **{name: frozenset({name}) for name in ("umbrella", "bottle", "laptop", "chair", "bench", "skateboard")},
    "ball": frozenset({"sports ball"}),
}
# Two-word objects, checked before single words.
_OBJECT_PAIRS: dict[tuple[str, str], frozenset[str]] = {
    ("cell", "phone"): frozenset({"cell phone"}), ("mobile", "phone"): frozenset({"cell phone"}),
    ("fire", "hydrant"): frozenset({"fire hydrant"}), ("stop", "sign"): frozenset({"stop sign"}),
    ("traffic", "light"): frozenset({"traffic light"}), ("parking", "meter"): frozenset({"parking meter"}),
    ("pickup", "truck"): frozenset({"car", "truck"}), ("delivery", "van"): frozenset({"car", "truck"}),
}
# An object word followed by one of these names a place, not the object: "car park", "bus stop", "bike rack".
PLACE_TAILS = frozenset({
    "park", "parks", "lot", "lots", "port", "wash", "stop", "stops", "station", "lane", "lanes", "rack", "racks",
    "shelter", "bay", "bays", "door", "doors", "yard", "shed", "kennel", "flap", "path", "way", "depot", "garage",
    "area", "zone", "space", "spaces", "entrance", "exit", "ramp", "deck", "pen",
})

PALETTE = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey")
# Colour words -> the palette colour has_colour knows. Shades ("dark", "light") are left for CLIP:
# "dark blue" checked as "blue" would claim more than the check sees.
COLOURS: dict[str, str] = {**{c: c for c in PALETTE}, "gray": "grey", "silver": "grey", "violet": "purple"}

# Clothes -> the part of a person they cover.
GARMENTS: dict[str, str] = {
    **dict.fromkeys(("shirt", "shirts", "t-shirt", "tshirt", "jacket", "jackets", "coat", "coats", "top", "tops",
                     "hoodie", "hoodies", "sweater", "jumper", "vest", "blouse", "fleece", "sweatshirt"), "upper"),
    **dict.fromkeys(("trousers", "pants", "jeans", "skirt", "skirts", "shorts", "leggings"), "lower"),
}
PART_NAMES = {"body": "", "upper": "upper body", "lower": "lower body"}

RUN_BH_S = 1.2  # heights a second: a brisk walk is about 0.5-1, a run 1.5 and more
WALK_MIN_BH_S = 0.15  # below this the object is standing, or the flow is noise
SPEEDING_BH_S = 4.0  # a car's own height is about 1.5 m: 4 heights/s is roughly 20 km/h, fast for a yard


def _moving(min_s: float | None, max_s: float | None = None) -> tuple[float | None, float | None, float | None]:
    return (min_s, max_s, None)


def _still(seconds: float) -> tuple[float | None, float | None, float | None]:
    return (None, None, seconds)


# Motion words -> (min speed heights/s, max speed heights/s, still for at least s).
MOTION: dict[str, tuple[float | None, float | None, float | None]] = {
    **dict.fromkeys(("running", "runs", "run", "jogging", "jogs", "sprinting", "sprints", "fast", "quickly"),
                    _moving(RUN_BH_S)),
    **dict.fromkeys(("speeding", "racing"), _moving(SPEEDING_BH_S)),
    **dict.fromkeys(("walking", "walks", "walk", "strolling"), _moving(WALK_MIN_BH_S, RUN_BH_S)),
    **dict.fromkeys(("moving", "moves"), _moving(WALK_MIN_BH_S)),
    **dict.fromkeys(("stopped", "stationary", "still", "idle", "idling", "halted"), _still(5.0)),
    **dict.fromkeys(("waiting", "waits"), _still(10.0)),
    **dict.fromkeys(("parked", "loitering", "loiters", "lingering", "lingers"), _still(30.0)),
}
# Two-word motion phrases, checked before single words.
MOTION_PAIRS: dict[tuple[str, str], tuple[float | None, float | None, float | None]] = {
    ("standing", "still"): _still(5.0), ("not", "moving"): _still(5.0), ("standing", "around"): _still(30.0),
    ("hanging", "around"): _still(30.0), ("hanging", "about"): _still(30.0),
}

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a": 1, "an": 1}
GROUPS = {"crowd": 5, "group": 3, "gang": 3, "several": 3, "multiple": 2, "couple": 2}
SECONDS = {**dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
           **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),  # not "m": "2 m" may be metres
           **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0)}
# Before a duration: "for", "for over", "more than", "at least", "longer than" (their words are stop-words
# or understood with the duration).
DURATION_LEADS = frozenset({"for", "over", "than", "least"})

TIME_WORDS = {"night": "night", "nighttime": "night", "night-time": "night", "overnight": "night",
              "day": "day", "daytime": "day", "day-time": "day", "daylight": "day"}
TIME_LEADS = frozenset({"at", "during", "by", "in", "through"})  # "night" alone may be a noun: "night shift"
DAYS = {"weekend": ("sat", "sun"), "weekends": ("sat", "sun"),
        "weekday": ("mon", "tue", "wed", "thu", "fri"), "weekdays": ("mon", "tue", "wed", "thu", "fri")}

ZONE_LEADS = frozenset({"in", "inside", "within", "at", "on"})
# Any of these makes the rest of its prompt CLIP's alone: a check cannot say "not", "without" or "except".
NEGATIONS = frozenset({"not", "no", "never", "without", "except", "excluding", "unless", "but", "other", "nobody",
                       "nothing", "isn't", "aren't", "doesn't", "don't", "neither", "nor"})
STOP_WORDS = frozenset({
    "a", "an", "the", "in", "on", "at", "of", "with", "is", "are", "was", "were", "be", "being", "been", "to",
    "and", "by", "from", "into", "onto", "inside", "within", "for", "some", "any", "there", "this", "that", "these",
    "those", "it", "its", "his", "her", "their", "them", "they", "he", "she", "who", "which", "while", "as", "our",
    "my", "your", "than", "more", "least", "or", "over", "during", "through", "wearing", "dressed", "one",
})


def object_classes(word: str) -> frozenset[str] | None:
    """The COCO classes an object word (singular or plural) stands for, or None."""
    if word in _OBJECTS:
        return _OBJECTS[word]
    for ending in ("es", "s"):  # "cars", "vehicles", "bags"
        if word.endswith(ending) and word[: -len(ending)] in _OBJECTS:
            return _OBJECTS[word[: -len(ending)]]
    return None


def object_pair(first: str, second: str) -> frozenset[str] | None:
    """The classes of a two-word object ("cell phone", "delivery vans"), or None."""
    for tail in (second, second[:-1] if second.endswith("s") else second):
        if (first, tail) in _OBJECT_PAIRS:
            return _OBJECT_PAIRS[(first, tail)]
    return None


def number(word: str) -> int | None:
    """A count written in digits or words ("3", "three"), or None."""
    if word.isdigit():
        return int(word)
    return NUMBERS.get(word)
