"""Plain words in a rule's prompts: compiled into conditions, checked without CLIP, explained on the command line."""

import datetime as dt
import json

import numpy as np
import pytest

from surveil.config.sections import NightConfig
from surveil.rules.model import Zone
from surveil.rules.observation import Observation
from surveil.rules.word_checks import check_understood
from surveil.rules.words import compile_prompt, compile_prompts, describe, understood_dict, without_clip
from surveil.rules.words_vocab import RUN_BH_S, WALK_MIN_BH_S

ZONES = ["Loading bay", "gate"]
NIGHT = NightConfig(start=dt.time(20, 0), end=dt.time(6, 0))
BAY = Zone(name="Loading bay", points=[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)])  # the lower half


def _obs(**kw) -> Observation:
    base = dict(camera_id="cam", track_id=1, label="car", box=(10.0, 60.0, 30.0, 90.0), frame_size=(100, 100), t=0.0,
                wall=dt.datetime(2024, 7, 1, 22, 30, tzinfo=dt.UTC))
    return Observation(**{**base, **kw})


def _by_name(results) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in results:
        out.setdefault(r.name, []).append(r)
    return out


def test_the_example_compiles_to_every_kind_of_condition_and_leaves_nothing():
    u = compile_prompt("a red car stopped in the loading bay at night", ZONES)
    assert u.classes == {"car"} and u.colours == (("red", "body"),)
    assert u.motion.stationary_s == 5 and u.motion.min_speed_bh_s is None
    assert u.zone == "Loading bay" and u.time == "night" and u.count is None
    assert u.understood == ("red", "car", "stopped", "loading", "bay", "night") and u.unchecked == ()
    assert describe(u) == ("understood as: car · red · stopped ≥ 5 s · zone Loading bay · at night; "
                           "left for CLIP: —")


@pytest.mark.parametrize(("text", "classes"), [
    ("two men", {"person"}), ("a pedestrian", {"person"}), ("an intruder", {"person"}), ("children", {"person"}),
    ("vehicles", {"car", "truck", "bus", "motorcycle"}), ("a white van", {"car", "truck"}), ("a lorry", {"truck"}),
    ("buses", {"bus"}), ("a bike", {"bicycle", "motorcycle"}), ("a cyclist", {"bicycle"}),
    ("a scooter", {"motorcycle"}), ("dogs", {"dog"}), ("a suitcase", {"suitcase"}),
    ("bags", {"backpack", "handbag", "suitcase"}), ("a mobile phone", {"cell phone"}), ("a fence", set()),
])
def test_object_words_and_plurals_become_coco_classes(text, classes):
    assert compile_prompt(text).classes == classes


def test_unchecked_words_keep_their_order_and_stop_words_are_in_neither_list():
    u = compile_prompt("a person climbing over a fence with a ladder")
    assert u.classes == {"person"}
    assert u.unchecked == ("climbing", "fence", "ladder")
    assert not {"a", "over", "with"} & set(u.understood + u.unchecked)


def test_a_second_object_is_left_for_clip_unless_it_is_an_alternative():
    carrying = compile_prompt("a person carrying a red bag")
    assert carrying.classes == {"person"} and carrying.colours == ()
    assert carrying.unchecked == ("carrying", "red", "bag"), "the bag is not the object the rule fires on"
    either = compile_prompt("a car or a truck parked overnight")
    assert either.classes == {"car", "truck"}
    assert either.motion is None and either.time is None and either.unchecked == ("parked", "overnight")


def test_colours_go_to_the_part_their_garment_covers():
    u = compile_prompt("a person in a blue jacket and black trousers")
    assert u.colours == (("blue", "upper"), ("black", "lower"))
    assert compile_prompt("a man dressed in grey").colours == (("grey", "body"),)
    assert compile_prompt("a silver car").colours == (("grey", "body"),)
    shaded = compile_prompt("a dark blue car")
    assert shaded.colours == (("blue", "body"),) and shaded.unchecked == ("dark",)
    assert compile_prompt("a red door").colours == () and compile_prompt("a red door").unchecked == ("red", "door")


@pytest.mark.parametrize(("text", "low", "high", "still"), [
    ("a person running", RUN_BH_S, None, None), ("someone walking", WALK_MIN_BH_S, RUN_BH_S, None),
    ("a car stopped", None, None, 5), ("a car parked", None, None, 30), ("a man loitering", None, None, 30),
    ("a person standing still", None, None, 5), ("a van parked for 2 minutes", None, None, 120),
    ("people lingering for more than 30 seconds", None, None, 30), ("a car not moving for 1 hour", None, None, 3600),
    ("a person loitering 45s", None, None, 45),
])
def test_motion_words_and_durations(text, low, high, still):
    motion = compile_prompt(text).motion
    assert (motion.min_speed_bh_s, motion.max_speed_bh_s, motion.stationary_s) == (low, high, still)
    assert compile_prompt(text).unchecked == ()


def test_two_stillness_words_agree_on_the_longer_and_a_clash_is_left_for_clip():
    both = compile_prompt("a person standing still and waiting")
    assert both.motion.stationary_s == 10 and both.unchecked == ()
    clash = compile_prompt("a person running and stopped")
    assert clash.motion.min_speed_bh_s == RUN_BH_S and clash.unchecked == ("stopped",)


def test_a_duration_without_stillness_is_left_for_clip():
    u = compile_prompt("a person running for 2 minutes")
    assert u.motion.stationary_s is None and u.unchecked == ("2", "minutes")


@pytest.mark.parametrize(("text", "at_least"), [
    ("two or more people", 2), ("at least 3 cars", 3), ("more than 2 people", 3), ("4 dogs", 4), ("a crowd", 5),
    ("a group of people", 3), ("a group of 6 people", 6), ("several people", 3), ("one car", None),
])
def test_counts(text, at_least):
    u = compile_prompt(text)
    assert (u.count.at_least if u.count else None) == at_least
    assert u.unchecked == ()


def test_place_phrases_name_a_zone_only_when_a_zone_has_that_name():
    assert compile_prompt("a person at the GATE", ZONES).zone == "gate"
    unknown = compile_prompt("a person in the car park", ZONES)
    assert unknown.zone is None and unknown.classes == {"person"}, "'car park' is a place, not a car"
    assert unknown.unchecked == ("car", "park")
    assert compile_prompt("a person near the gate", ZONES).zone is None, "near is not inside"


def test_time_words():
    assert compile_prompt("a person at night").time == "night"
    assert compile_prompt("a car overnight").time == "night"
    assert compile_prompt("a person by day").time == "day"
    assert compile_prompt("a dog during the daytime").time == "day"
    assert compile_prompt("a person on weekends").days == ("sat", "sun")
    assert compile_prompt("a night shift worker").time is None, "night is a time only after at, during, by…"


def test_after_a_negation_the_words_are_clips_alone():
    u = compile_prompt("a person not running at night")
    assert u.motion is None and u.time is None and u.unchecked == ("not", "running", "night")
    assert compile_prompt("a person without a helmet").unchecked == ("without", "helmet")


def test_prompts_together_keep_what_every_prompt_implies():
    u = compile_prompts(["a person climbing at the gate at night", "a dog at the gate at night"], ZONES)
    assert u.classes == {"person", "dog"} and u.zone == "gate" and u.time == "night"
    assert u.unchecked == ("climbing",)
    mixed = compile_prompts(["a red car parked", "a car"])
    assert mixed.classes == {"car"} and mixed.colours == () and mixed.motion is None
    assert mixed.unchecked == ("red", "parked"), "a condition only one prompt has is CLIP's"
    assert compile_prompts(["a person", "a climbing fence"]).classes == set(), "one prompt names no object"
    assert compile_prompts([]) == compile_prompt("")


def test_dict_form_and_the_without_clip_sentence():
    u = compile_prompt("two or more people climbing at night")
    as_dict = understood_dict(u)
    assert as_dict["count"] == {"at_least": 2, "classes": ["person"]} and as_dict["unchecked"] == ["climbing"]
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert without_clip(u, False)[0] == "quiet" and "'climbing' unchecked" in without_clip(u, False)[1]
    assert without_clip(u, True)[0] == "rest"
    assert without_clip(compile_prompt("a person"), False)[0] == "words"


def test_checks_say_what_holds_and_why():
    u = compile_prompt("a car stopped in the loading bay at night", ZONES)
    still = _obs(stationary_s=9.0)
    results = _by_name(check_understood(u, still, dt.UTC, NIGHT, [BAY]))
    assert [r.ok for r in sum(results.values(), [])] == [True, True, True, True]
    assert "9.0 s" in results["words: motion"][0].detail and "22:30" in results["words: time"][0].detail
    moving_person_by_day = _obs(label="person", stationary_s=1.0, box=(10.0, 5.0, 30.0, 40.0),
                                wall=dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC))
    failed = {r.name for r in check_understood(u, moving_person_by_day, dt.UTC, NIGHT, [BAY]) if not r.ok}
    assert failed == {"words: class", "words: motion", "words: zone", "words: time"}


def test_night_wraps_midnight_and_follows_the_time_zone():
    u = compile_prompt("a person at night")
    early = _obs(label="person", wall=dt.datetime(2024, 7, 1, 3, tzinfo=dt.UTC))
    noon_utc = _obs(label="person", wall=dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC))
    assert check_understood(u, early, dt.UTC, NIGHT, [])[-1].ok
    assert not check_understood(u, noon_utc, dt.UTC, NIGHT, [])[-1].ok
    tokyo = dt.timezone(dt.timedelta(hours=9))  # 12:00 UTC is 21:00 there
    assert check_understood(u, noon_utc, tokyo, NIGHT, [])[-1].ok


def test_count_reads_the_peers_of_the_counted_class_in_the_named_zone():
    u = compile_prompt("two or more people in the loading bay", ZONES)
    low, high = (10.0, 60.0, 20.0, 90.0), (40.0, 5.0, 50.0, 30.0)  # feet in the bay; feet above it
    obs = _obs(label="person", box=low, peers=(("person", low), ("person", high), ("car", low)))
    count = _by_name(check_understood(u, obs, dt.UTC, NIGHT, [BAY]))["words: count"][0]
    assert not count.ok and count.detail.startswith("1 person in zone Loading bay")
    crowded = _obs(label="person", box=low, peers=(("person", low), ("person", (60.0, 70.0, 70.0, 95.0))))
    assert _by_name(check_understood(u, crowded, dt.UTC, NIGHT, [BAY]))["words: count"][0].ok


def test_colour_asks_the_colour_module_and_needs_a_crop(monkeypatch):
    import surveil.vision.colour as colour

    asked = []

    def fake_has_colour(crop, label, name, part="body"):
        asked.append((crop.shape, label, name, part))
        return name == "blue", f"{name} seen"

    monkeypatch.setattr(colour, "has_colour", fake_has_colour)
    u = compile_prompt("a person in a blue jacket and red trousers")
    crop = np.zeros((40, 20, 3), np.uint8)
    results = check_understood(u, _obs(label="person", crop=crop), dt.UTC, NIGHT, [])
    assert [(r.name, r.ok) for r in results] == [("words: class", True), ("words: colour", True),
                                                 ("words: colour", False)]
    assert asked == [((40, 20, 3), "person", "blue", "upper"), ((40, 20, 3), "person", "red", "lower")]
    blind = check_understood(u, _obs(label="person"), dt.UTC, NIGHT, [])
    assert not blind[1].ok and "no picture" in blind[1].detail


# The command line, in process: `surveil rules explain` and what `rules check` adds.

_CONFIG = """cameras: [{id: gate, source: x.mp4}]
rules:
  - {name: climber, prompts: [a person climbing a fence at night], classes: [person]}
  - {name: ladder, prompts: [a person with a ladder], fire_without_clip: true}
  - name: bay
    prompts: [a red car stopped in the loading bay at night]
    zones: [{name: Loading bay, points: [[0, 0], [1, 0], [1, 1]]}]
"""


@pytest.fixture
def config(tmp_path, monkeypatch):
    import surveil.vision.clip as clip

    monkeypatch.setattr(clip, "load_encoder_or_reason", lambda *_: (None, "test: no CLIP"))
    path = tmp_path / "config.yaml"
    path.write_text(_CONFIG)
    return path


def test_explain_uses_the_configured_zone_names(config, capsys):
    from surveil.cli.main import main

    assert main(["rules", "explain", "a white van parked in the loading bay", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "understood as: car or truck · white · parked ≥ 30 s · zone Loading bay; left for CLIP: —" in out
    assert main(["rules", "explain", "a person in the loading bay", "--json"]) == 0  # default config: no zones
    data = json.loads(capsys.readouterr().out)
    assert data["zones"] == [] and data["prompts"][0]["unchecked"] == ["loading", "bay"]


def test_rules_check_shows_the_words_and_what_happens_without_clip(config, capsys):
    from surveil.cli.main import main

    assert main(["rules", "check", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("  climber [medium]: prompts ['a person climbing a fence at night'], classes ['person']")
    assert lines[at + 1] == "    understood as: person · at night; left for CLIP: 'climbing', 'fence'"
    assert lines[at + 2] == ("    stays quiet without CLIP: 'climbing', 'fence' unchecked "
                             "(set fire_without_clip: true to fire on the rest)")
    assert "    fires on the rest without CLIP: 'ladder' unchecked" in lines
    assert lines[-1].startswith("CLIP unavailable: test: no CLIP.")
    assert main(["rules", "check", "--config", str(config), "--json"]) == 0
    words = {w["rule"]: w for w in json.loads(capsys.readouterr().out)["words"]}
    assert [words[n]["without_clip"]["state"] for n in ("climber", "ladder", "bay")] == ["quiet", "rest", "words"]
    assert words["bay"]["zone"] == "Loading bay" and words["bay"]["unchecked"] == []
