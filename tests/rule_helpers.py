"""Scripted track timelines for the rule engine."""

from __future__ import annotations

import datetime as dt

from surveil.rules.observation import Observation

T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)  # a Monday, noon UTC


def obs(t: float, track: int = 1, camera: str = "cam", label: str = "person", embedding=None,
        box=(100, 100, 140, 200), stationary_s: float = 0.0, speed: float = 0.0, heading=None, wall=None,
        appearance=None, crop=None, peers=None):
    return Observation(camera, track, label, box, (640, 480), t, wall or T0 + dt.timedelta(seconds=t),
                       speed_bh_s=speed, heading_deg=heading, stationary_s=stationary_s, embedding=embedding,
                       appearance=appearance, crop=crop, peers=((label, box),) if peers is None else peers)


def run(engine, observations, tick_to: float | None = None):
    """Feed observations in order; returns (t, kind, track) for every update, ticking after each."""
    out = []
    for o in observations:
        for u in engine.observe(o) + engine.tick(o.t, o.wall):
            out.append((o.t, u.kind, u.event.track_id))
    if tick_to is not None:
        for u in engine.tick(tick_to, T0 + dt.timedelta(seconds=tick_to)):
            out.append((tick_to, u.kind, u.event.track_id))
    return out
