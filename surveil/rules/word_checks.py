"""Checking what a rule's words compiled to against one observation, without CLIP.

One ConditionResult per condition, named "words: class", "words: colour", "words: motion",
"words: count", "words: zone", "words: time", each with a reason an operator can read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence

from surveil.config.sections import NightConfig
from surveil.rules.conditions import ConditionResult, check_motion, check_schedule
from surveil.rules.geometry import contains
from surveil.rules.model import WEEKDAYS, MotionCondition, Schedule, Zone
from surveil.rules.observation import Observation
from surveil.rules.words_types import Understood, days_text

logger = logging.getLogger(__name__)


def check_understood(understood: Understood, obs: Observation, tz: dt.tzinfo | None, night: NightConfig,
                     rule_zones: Sequence[Zone]) -> list[ConditionResult]:
    """Every condition the words became, in the order object, colour, motion, count, zone, time, days."""
    out = []
    if understood.classes:
        ok = obs.label in understood.classes
        out.append(ConditionResult("words: class", ok, f"{obs.label} {'is' if ok else 'is not'} "
                                                       f"{' or '.join(sorted(understood.classes))}"))
    out += [check_colour(obs, colour, part) for colour, part in understood.colours]
    if understood.motion is not None:
        out.append(check_word_motion(understood, obs))
    zones = _named_zones(understood.zone, rule_zones)
    if understood.count is not None:
        out.append(check_count(understood, obs, zones))
    if understood.zone is not None:
        out.append(check_named_zone(understood.zone, zones, obs))
    if understood.time is not None:
        out.append(check_time(understood.time, obs.wall, tz, night))
    if understood.days:
        out.append(check_days(understood.days, obs.wall, tz))
    return out


def check_colour(obs: Observation, colour: str, part: str) -> ConditionResult:
    """The object's colour on its crop; without a crop the colour cannot be seen, so it does not hold."""
    if obs.crop is None:
        return ConditionResult("words: colour", False, f"{colour}: no picture of the object to look at")
    from surveil.vision.colour import has_colour  # numpy work, loaded when a rule names a colour

    ok, reason = has_colour(obs.object_pixels(), obs.label, colour, part)
    return ConditionResult("words: colour", ok, reason)


def check_word_motion(understood: Understood, obs: Observation) -> ConditionResult:
    """The motion word's speeds or stillness, through the rule model's own motion checks, as one result."""
    motion = understood.motion
    condition = MotionCondition(min_speed_bh_s=motion.min_speed_bh_s, max_speed_bh_s=motion.max_speed_bh_s,
                                stationary_s=motion.stationary_s)
    results = check_motion(condition, obs)
    detail = "; ".join(r.detail for r in results)
    return ConditionResult("words: motion", all(r.ok for r in results), f"{motion.word}: {detail}")


def _named_zones(name: str | None, rule_zones: Sequence[Zone]) -> list[Zone]:
    """The rule's zones called ``name`` (case and spaces aside)."""
    if name is None:
        return []
    wanted = " ".join(name.lower().split())
    return [z for z in rule_zones if " ".join(z.name.lower().split()) == wanted]


def _inside(zones: Sequence[Zone], obs: Observation) -> bool:
    return any(contains(z.points, x, y) for z in zones for x, y in obs.anchor_points(z.anchor))


def check_named_zone(name: str, zones: Sequence[Zone], obs: Observation) -> ConditionResult:
    """Inside the zone the words named, by the zone's anchor point."""
    if not zones:
        return ConditionResult("words: zone", False, f"the rule has no zone named '{name}' any more")
    ok = _inside(zones, obs)
    return ConditionResult("words: zone", ok, f"{zones[0].anchor} of the box is {'in' if ok else 'outside'} "
                                              f"zone {name}")


def check_count(understood: Understood, obs: Observation, zones: Sequence[Zone]) -> ConditionResult:
    """How many objects of the counted classes the camera sees at once (in the named zone, when there is one)."""
    count = understood.count
    peers = obs.peers or ((obs.label, obs.box),)  # no peer list: the object alone is what is known
    counted = 0
    for label, box in peers:
        if count.classes and label not in count.classes:
            continue
        if understood.zone is not None and not _inside(zones, dataclasses.replace(obs, label=label, box=box)):
            continue
        counted += 1
    what = " or ".join(sorted(count.classes)) or "object"
    where = f" in zone {understood.zone}" if understood.zone else ""
    return ConditionResult("words: count", counted >= count.at_least,
                           f"{counted} {what}{where} vs at least {count.at_least}")


def check_time(time: str, wall: dt.datetime, tz: dt.tzinfo | None, night: NightConfig) -> ConditionResult:
    """At night (the configured night hours, through midnight) or by day (the rest), in the time zone."""
    hours = f"night is {night.start:%H:%M}-{night.end:%H:%M}"
    at_night = check_schedule(Schedule(start=night.start, end=night.end), wall, tz).ok
    ok = at_night if time == "night" else not at_night
    local = wall.astimezone(tz) if tz else wall.astimezone()
    said = "at night" if at_night else "by day"
    return ConditionResult("words: time", ok, f"{local:%H:%M} is {said} ({hours})")


def check_days(days: Sequence[str], wall: dt.datetime, tz: dt.tzinfo | None) -> ConditionResult:
    """On the days the words named ("on weekends"), by the local calendar day."""
    local = wall.astimezone(tz) if tz else wall.astimezone()
    day = WEEKDAYS[local.weekday()]
    ok = day in days
    return ConditionResult("words: days", ok, f"{day}: {'' if ok else 'not '}{days_text(tuple(days))}")
