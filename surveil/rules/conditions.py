"""The conditions of a rule apart from CLIP: camera, schedule, class, zone and motion.

Each check returns a ConditionResult with a reason, so the editor can say why a rule
would or would not fire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from surveil.rules.geometry import contains
from surveil.rules.model import WEEKDAYS, MotionCondition, Rule, Schedule
from surveil.rules.observation import Observation


@dataclass(frozen=True)
class ConditionResult:
    """One condition's verdict and why."""

    name: str
    ok: bool
    detail: str


def check_all(rule: Rule, obs: Observation, tz: dt.tzinfo | None) -> list[ConditionResult]:
    """Every non-CLIP condition the rule has, in a fixed order."""
    results = [check_schedule(rule.schedule, obs.wall, tz)] if rule.schedule else []
    if rule.classes:
        ok = obs.label in rule.classes
        results.append(ConditionResult("class", ok, f"{obs.label} {'is' if ok else 'is not'} one of {rule.classes}"))
    if rule.zones:
        results.append(check_zones(rule, obs))
    if rule.motion:
        results.extend(check_motion(rule.motion, obs))
    return results


def applies_to_camera(rule: Rule, camera_id: str) -> bool:
    """Whether the rule watches this camera at all."""
    return rule.enabled and (not rule.cameras or camera_id in rule.cameras)


def check_schedule(schedule: Schedule, wall: dt.datetime, tz: dt.tzinfo | None) -> ConditionResult:
    """In the rule's days and hours, in the configured time zone (the system's when None)."""
    local = wall.astimezone(tz) if tz else wall.astimezone()
    now = local.time().replace(tzinfo=None)
    start, end = schedule.start, schedule.end
    day = WEEKDAYS[local.weekday()]
    if start == end:
        in_hours, active_day = True, day
    elif start < end:
        in_hours, active_day = start <= now < end, day
    else:  # overnight: after midnight the window belongs to the day it started on
        in_hours = now >= start or now < end
        active_day = day if now >= start else WEEKDAYS[(local.weekday() - 1) % 7]
    ok = in_hours and active_day in schedule.days
    return ConditionResult("schedule", ok, f"{day} {now:%H:%M} is {'inside' if ok else 'outside'} the schedule")


def check_zones(rule: Rule, obs: Observation) -> ConditionResult:
    """Inside at least one zone, by each zone's anchor point."""
    for i, zone in enumerate(rule.zones):
        if any(contains(zone.points, x, y) for x, y in obs.anchor_points(zone.anchor)):
            return ConditionResult("zone", True, f"{zone.anchor} of the box is in zone {zone.name or i + 1}")
    return ConditionResult("zone", False, "the box is outside every zone")


def check_motion(motion: MotionCondition, obs: Observation) -> list[ConditionResult]:
    """Speed, heading and loitering, each its own result."""
    out = []
    speed = obs.speed_bh_s
    if motion.min_speed_bh_s is not None:
        out.append(ConditionResult("min speed", speed >= motion.min_speed_bh_s,
                                   f"{speed:.2f} heights/s vs at least {motion.min_speed_bh_s:g}"))
    if motion.max_speed_bh_s is not None:
        out.append(ConditionResult("max speed", speed <= motion.max_speed_bh_s,
                                   f"{speed:.2f} heights/s vs at most {motion.max_speed_bh_s:g}"))
    if motion.heading_from_deg is not None and motion.heading_to_deg is not None:
        ok = obs.heading_deg is not None and heading_in_range(
            obs.heading_deg, motion.heading_from_deg, motion.heading_to_deg)
        shown = "none (still)" if obs.heading_deg is None else f"{obs.heading_deg:.0f}°"
        out.append(ConditionResult("heading", ok, f"heading {shown} vs {motion.heading_from_deg:g}°-"
                                                  f"{motion.heading_to_deg:g}°"))
    if motion.stationary_s is not None:
        out.append(ConditionResult("stationary", obs.stationary_s >= motion.stationary_s,
                                   f"still for {obs.stationary_s:.1f} s vs at least {motion.stationary_s:g} s"))
    return out


def heading_in_range(heading: float, start: float, end: float) -> bool:
    """Counter-clockwise from ``start`` to ``end``, wrapping through 0."""
    span = (end - start) % 360
    return (heading - start) % 360 <= span
