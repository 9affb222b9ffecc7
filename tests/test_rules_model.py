"""Rule validation (errors name the rule and the field) and the non-CLIP conditions."""

import datetime as dt

import pytest
from rule_helpers import obs

from surveil.config import ConfigError, parse_config
from surveil.rules.conditions import check_motion, check_schedule, check_zones, heading_in_range
from surveil.rules.model import MotionCondition, Rule, Schedule

UTC = dt.UTC


def _rule_error(rule_yaml: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config("cameras: [{id: gate, source: x.mp4}]\nrules:\n  - name: ok\n    classes: [person]\n" + rule_yaml)
    return str(info.value)


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ("prompts: ['a person', '  ']", "prompts", "a prompt is empty"),
        ("prompts: [a person]\n    threshold: 1.5", "threshold", "less than or equal to 1"),
        ("zones: [{points: [[0.1, 0.1], [0.5, 0.5]]}]", "zones[0].points", "at least 3 points"),
        ("zones: [{points: [[0, 0], [1, 1], [1, 0], [0, 1]]}]", "zones[0].points", "edges cross"),
        ("classes: [unicorn]", "classes", "unknown class 'unicorn'"),
        ("classes: [person]\n    schedule: {days: []}", "schedule.days", "would never run"),
        ("prompts: [a person]\n    votes_k: 4\n    votes_n: 3", "", "votes_k (4) cannot exceed votes_n (3)"),
        ("enabled: true", "", "no condition"),
        ("classes: [person]\n    cameras: [nowhere]", "", "camera 'nowhere', which is not configured"),
        ("classes: [person]\n    motion: {heading_from_deg: 10}", "motion", "give both heading_from_deg"),
        ("classes: [person]\n    actions: [{url: 'ftp://x'}]", "actions[0].url", "http:// or https://"),
    ],
)
def test_bad_rules_are_refused_naming_rule_and_field(body, field, reason):
    message = _rule_error(f"  - name: fence climber\n    {body}\n")
    assert reason in message
    if field:
        assert f"rules[1] (fence climber).{field}" in message
    assert "rules[0]" not in message, "the good rule is not blamed"


def test_rule_names_are_unique():
    assert "rule name 'ok' is used twice" in _rule_error("  - name: ok\n    classes: [car]\n")


def test_a_config_rule_loads_with_every_part():
    config = parse_config("""
cameras: [{id: gate, source: x.mp4}]
rules:
  - name: fence climber
    cameras: [gate]
    prompts: [a person climbing a fence]
    contrast_prompts: [a person walking past a fence]
    classes: [person]
    zones: [{name: fence, points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], anchor: bottom_center}]
    motion: {min_speed_bh_s: 0.1, stationary_s: 10}
    schedule: {days: [mon, tue], start: "22:00", end: "06:00"}
    severity: high
    actions: [{url: "https://example.invalid/hook"}]
""")
    rule = config.rules[0]
    assert rule.schedule.start == dt.time(22, 0) and rule.zones[0].anchor == "bottom_center"
    assert rule.actions[0].url.startswith("https://") and rule.severity == "high"


@pytest.mark.parametrize(
    ("when", "inside"),
    [
        (dt.datetime(2026, 11, 23, 21, 59, tzinfo=UTC), False),  # Monday, before the window
        (dt.datetime(2026, 11, 23, 22, 0, tzinfo=UTC), True),    # Monday 22:00: start is inclusive
        (dt.datetime(2026, 11, 24, 5, 59, tzinfo=UTC), True),    # Tuesday morning belongs to Monday night
        (dt.datetime(2026, 11, 24, 6, 0, tzinfo=UTC), False),    # end is exclusive
        (dt.datetime(2026, 11, 24, 23, 0, tzinfo=UTC), False),   # Tuesday night: not a scheduled day
        (dt.datetime(2026, 11, 23, 4, 0, tzinfo=UTC), False),    # Monday early: belongs to Sunday night
    ],
)
def test_overnight_schedule_edges(when, inside):
    schedule = Schedule(days=["mon"], start=dt.time(22), end=dt.time(6))
    assert check_schedule(schedule, when, UTC).ok is inside


def test_schedule_uses_the_configured_time_zone():
    from zoneinfo import ZoneInfo

    schedule = Schedule(days=["mon"], start=dt.time(9), end=dt.time(17))
    noon_utc = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert check_schedule(schedule, noon_utc, ZoneInfo("Europe/Paris")).ok  # 13:00 in Paris
    assert not check_schedule(schedule, noon_utc, ZoneInfo("Asia/Tokyo")).ok  # 21:00 in Tokyo


def test_zone_anchor_points():
    # The lower half of a 640x480 picture; a person standing with feet at y=300 (0.625) and centre at y=200.
    rule = Rule(name="r", classes=["person"], zones=[{"points": [(0, 0.5), (1, 0.5), (1, 1), (0, 1)]}])
    person = obs(0, box=(100, 100, 140, 300))
    assert check_zones(rule, person).ok
    centre = rule.model_copy(update={"zones": [rule.zones[0].model_copy(update={"anchor": "center"})]})
    assert not check_zones(centre, person).ok
    assert not check_zones(rule, obs(0, box=(100, 10, 140, 200))).ok


@pytest.mark.parametrize(("heading", "ok"), [(0, True), (355, True), (9.9, True), (180, False), (11, False)])
def test_heading_range_wraps_through_zero(heading, ok):
    assert heading_in_range(heading, 350, 10) is ok


def test_motion_conditions_report_each_part():
    motion = MotionCondition(min_speed_bh_s=0.5, max_speed_bh_s=2, heading_from_deg=90, heading_to_deg=270,
                             stationary_s=5)
    results = {r.name: r.ok for r in check_motion(motion, obs(0, speed=1.0, heading=180, stationary_s=1))}
    assert results == {"min speed": True, "max speed": True, "heading": True, "stationary": False}
    still = {r.name: r.ok for r in check_motion(motion, obs(0, speed=0.0, heading=None, stationary_s=9))}
    assert still == {"min speed": False, "max speed": True, "heading": False, "stationary": True}
