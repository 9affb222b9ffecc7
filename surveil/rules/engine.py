"""The event state machine: per camera, rule and track, from conditions to started/updated/ended events."""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from surveil.config.sections import NightConfig
from surveil.rules.conditions import ConditionResult, applies_to_camera, check_all
from surveil.rules.events import Event, EventUpdate, RuleDecision, new_event_id
from surveil.rules.model import Rule
from surveil.rules.observation import Observation
from surveil.rules.scoring import ExampleCache, RuleScorer, ScoreBreakdown
from surveil.rules.without_clip import examples_verdict, without_clip
from surveil.rules.word_checks import check_understood
from surveil.rules.words import Understood, compile_prompts
from surveil.vision.clip import TextImageEncoder

logger = logging.getLogger(__name__)

Key = tuple[str, str, int]  # rule, camera, track
RULE_RETRY_S = 60.0  # a rule that raised is tried again after this pause, doubled each time it fails again
RULE_RETRY_MAX_S = 3600.0


@dataclass
class _State:
    votes: deque
    score: ScoreBreakdown | None = None
    embedding: np.ndarray | None = None
    appearance: np.ndarray | None = None
    examples: ConditionResult | None = None  # the operator's examples' say on the latest look
    crop: np.ndarray | None = None
    holding_since: float | None = None
    last_holding_t: float | None = None
    event: Event | None = None
    needs_motion: bool = False
    decision: str = "idle"
    conditions: list[ConditionResult] = field(default_factory=list)


Clock = Callable[[str], tuple[float, dt.datetime]]  # camera id -> (monotonic, wall) "now" on that camera


@dataclass
class RuleFailure:
    """A rule that raised: it pauses until ``retry_t`` (on the camera's clock), then is tried again."""

    reason: str
    retry_t: float
    count: int = 1
    announced: bool = False


class RuleEngine:
    """Turns observations of tracks into events. Not thread-safe: one analysis thread drives it.

    A rule's prompts are compiled into the conditions the app checks itself (object, colour,
    motion, count, zone and time words); the whole prompt also goes to CLIP where it runs.
    Without an encoder (CLIP unavailable), a rule whose words were all understood runs fully;
    one with words nothing here can check stays quiet unless it sets ``fire_without_clip``.
    """

    def __init__(self, rules: list[Rule], encoder: TextImageEncoder | None, tz: dt.tzinfo | None = None,
                 clip_unavailable: str = "no CLIP encoder", night: NightConfig | None = None):
        self.encoder, self.tz, self.clip_unavailable = encoder, tz, clip_unavailable
        self.night = night or NightConfig()
        self.understood: dict[str, Understood] = {}
        self.rules: dict[str, Rule] = {}
        self.examples: dict[str, ExampleCache] = {}
        self.failures: dict[str, RuleFailure] = {}
        self._scorers: dict[str, RuleScorer] = {}
        self._states: dict[Key, _State] = {}
        self._last_start: dict[tuple[str, str], float] = {}
        for rule in rules:
            self.set_rule(rule)
        quiet = [r.name for r in rules if self._quiet_without_clip(r)]
        if encoder is None and quiet:
            logger.warning("CLIP unavailable (%s): rule(s) %s have words nothing else can check and stay quiet; "
                           "the others run on the words understood", clip_unavailable, ", ".join(quiet))

    def set_rule(self, rule: Rule, clock: Clock | None = None) -> list[EventUpdate]:
        """Add or replace a rule: open events of the old one end now; per-track state starts over, examples stay.

        A rule whose only change is which cameras it watches (or whether it is enabled) keeps its
        events and state on the cameras it still watches.
        """
        old = self.rules.get(rule.name)
        if old is not None and old.model_copy(update={"cameras": rule.cameras, "enabled": rule.enabled}) == rule:
            return self._retarget(rule, clock)
        ended = self.remove_rule(rule.name, clock, keep_examples=True)
        self.rules[rule.name] = rule
        self.understood[rule.name] = compile_prompts(rule.prompts, [z.name for z in rule.zones if z.name])
        examples = self.examples.setdefault(rule.name, ExampleCache())
        if rule.prompts and self.encoder is not None:
            try:
                self._scorers[rule.name] = RuleScorer(rule, self.encoder, examples)
            except Exception as exc:  # a rule that cannot be scored must not take the others down
                self.failures[rule.name] = RuleFailure(f"cannot embed prompts: {exc}", float("inf"))
                logger.exception("rule %s: cannot embed its prompts", rule.name)
        return ended

    def remove_rule(self, name: str, clock: Clock | None = None, keep_examples: bool = False) -> list[EventUpdate]:
        """Forget a rule; its open events end now (at each camera's latest time)."""
        self.rules.pop(name, None)
        self.understood.pop(name, None)
        self._scorers.pop(name, None)
        self.failures.pop(name, None)
        if not keep_examples:
            self.examples.pop(name, None)
        ended = []
        for key in [k for k in self._states if k[0] == name]:
            state = self._states.pop(key)
            if state.event is not None and state.event.open and clock is not None:
                ended.append(self._end(state, *clock(key[1])))
        return ended

    def _retarget(self, rule: Rule, clock: Clock | None) -> list[EventUpdate]:
        self.rules[rule.name] = rule
        ended = []
        for key in [k for k in self._states if k[0] == rule.name and not applies_to_camera(rule, k[1])]:
            state = self._states.pop(key)
            if state.event is not None and state.event.open and clock is not None:
                ended.append(self._end(state, *clock(key[1])))
        return ended

    def _quiet_without_clip(self, rule: Rule) -> bool:
        understood = self.understood.get(rule.name)
        return bool(understood and understood.unchecked) and not rule.fire_without_clip

    @property
    def wants_embeddings(self) -> bool:
        """Whether any rule would use a CLIP embedding."""
        return self.encoder is not None and any(r.enabled and r.prompts for r in self.rules.values())

    def observe(self, obs: Observation) -> list[EventUpdate]:
        """Evaluate every rule on this camera against one observation of a track."""
        updates: list[EventUpdate] = []
        for rule in list(self.rules.values()):
            if not applies_to_camera(rule, obs.camera_id) or not self._may_run(rule.name, obs.t):
                continue
            try:
                updates += self._evaluate(rule, obs)
            except Exception as exc:
                self._failed(rule.name, exc, obs.t)
            else:
                self.failures.pop(rule.name, None)  # tried again after its pause, and it worked
        return updates

    def _may_run(self, name: str, t: float) -> bool:
        failure = self.failures.get(name)
        return failure is None or t >= failure.retry_t

    def _failed(self, name: str, exc: Exception, t: float) -> None:
        """A rule raised: it pauses (longer each time), the others carry on; the loop announces it."""
        logger.exception("rule %s failed; the other rules carry on", name)
        count = self.failures[name].count + 1 if name in self.failures else 1
        pause = min(RULE_RETRY_S * 2 ** (count - 1), RULE_RETRY_MAX_S)
        self.failures[name] = RuleFailure(f"{type(exc).__name__}: {exc}", t + pause, count)

    def new_failures(self) -> list[tuple[str, RuleFailure]]:
        """Failures not yet announced (each is returned once)."""
        fresh = [(name, f) for name, f in self.failures.items() if not f.announced]
        for _, failure in fresh:
            failure.announced = True
        return fresh

    def end_tracks(self, camera_id: str, track_ids, t: float, wall: dt.datetime) -> list[EventUpdate]:
        """These objects are gone: end their open events now and forget their state."""
        gone = set(track_ids)
        updates = []
        for key in [k for k in self._states if k[1] == camera_id and k[2] in gone]:
            state = self._states.pop(key)
            if state.event is not None and state.event.open:
                updates.append(self._end(state, t, wall))
        return updates

    def tick(self, t: float, wall: dt.datetime) -> list[EventUpdate]:
        """End events whose conditions have failed (or gone unobserved) for their grace period."""
        updates = []
        for (name, _, _), state in self._states.items():
            event, rule = state.event, self.rules.get(name)
            last = t if state.last_holding_t is None else state.last_holding_t
            if event is not None and event.open and rule and t - last >= rule.grace_s:
                updates.append(self._end(state, t, wall))
        return updates

    def decision(self, rule_name: str, camera_id: str, track_id: int) -> RuleDecision | None:
        """The latest decision of a rule on a track, with every condition's reason."""
        state = self._states.get((rule_name, camera_id, track_id))
        if state is None:
            return None
        return RuleDecision(rule_name, camera_id, track_id, state.conditions, state.score, state.decision)

    def decisions(self) -> dict[Key, RuleDecision]:
        """Every current decision (for the snapshot the window reads)."""
        return {key: RuleDecision(*key, state.conditions, state.score, state.decision)
                for key, state in self._states.items()}

    def learn(self, rule_name: str, embedding: np.ndarray | None, correct: bool, key: str | None = None,
              appearance: np.ndarray | None = None) -> None:
        """Add one marked crop (CLIP embedding and/or appearance vector) to a rule's examples (kept across edits)."""
        self.examples.setdefault(rule_name, ExampleCache()).add(embedding, correct, key, appearance)

    # -- one rule, one observation -------------------------------------------------------------

    def _evaluate(self, rule: Rule, obs: Observation) -> list[EventUpdate]:
        key = (rule.name, obs.camera_id, obs.track_id)
        state = self._states.setdefault(key, _State(votes=deque(maxlen=rule.votes_n)))
        words = check_understood(self.understood[rule.name], obs, self.tz, self.night, rule.zones)
        state.conditions = check_all(rule, obs, self.tz) + words + self._clip(rule, state, obs)
        if rule.name not in self._scorers:  # without a CLIP score, the operator's marks speak on appearance alone
            state.examples = examples_verdict(self.examples.get(rule.name), obs.appearance, state.examples)
            state.conditions += [state.examples] if state.examples is not None else []
        holding = all(c.ok for c in state.conditions)
        if obs.crop is not None and (obs.embedding is not None or obs.appearance is not None or state.crop is None):
            state.crop = obs.crop  # the crop that goes with the latest score
        if obs.appearance is not None:
            state.appearance = obs.appearance
        if holding:
            state.holding_since = obs.t if state.holding_since is None else state.holding_since
            state.last_holding_t = obs.t
        else:
            state.holding_since = None
        if obs.stationary_s == 0:
            state.needs_motion = False
        if state.event is not None and state.event.open:
            return self._continue(rule, state, obs, holding)
        return self._maybe_start(rule, state, obs, holding)

    def _clip(self, rule: Rule, state: _State, obs: Observation) -> list[ConditionResult]:
        if not rule.prompts:
            return []
        scorer = self._scorers.get(rule.name)
        if scorer is None:
            return [without_clip(rule, self.understood[rule.name], self.clip_unavailable)]
        if obs.embedding is not None:
            state.score = scorer.score(obs.embedding, obs.label, obs.appearance)
            state.embedding = obs.embedding
            state.votes.append(state.score.passed)
        votes = sum(state.votes)
        last = state.score.describe() if state.score else "no look yet"
        detail = f"{votes} of the last {len(state.votes)} looks passed (need {rule.votes_k} of {rule.votes_n}); {last}"
        return [ConditionResult("clip", votes >= rule.votes_k, detail)]

    def _maybe_start(self, rule: Rule, state: _State, obs: Observation, holding: bool) -> list[EventUpdate]:
        if not holding:
            state.decision = "idle"
            return []
        held = obs.t - (obs.t if state.holding_since is None else state.holding_since)
        if held < rule.min_duration_s:
            state.decision = f"pending ({held:.1f} of {rule.min_duration_s:g} s)"
            return []
        if state.needs_motion:
            state.decision = "suppressed (the object has not moved since its last alert)"
            return []
        last = self._last_start.get((rule.name, obs.camera_id))
        if last is not None and obs.t - last < rule.cooldown_s:
            state.decision = f"suppressed (cooldown, {rule.cooldown_s - (obs.t - last):.0f} s left)"
            return []
        self._last_start[(rule.name, obs.camera_id)] = obs.t
        state.event = Event(new_event_id(obs.wall), rule.name, obs.camera_id, obs.track_id, obs.label,
                            rule.severity, obs.t, obs.wall, obs.t,
                            reasons=[f"{c.name}: {c.detail}" for c in state.conditions])
        self._peak(state, first=True)
        state.decision = "active"
        return [EventUpdate("started", state.event)]

    def _continue(self, rule: Rule, state: _State, obs: Observation, holding: bool) -> list[EventUpdate]:
        event = state.event
        event.last_t = obs.t
        if not holding:
            last = obs.t if state.last_holding_t is None else state.last_holding_t
            if obs.t - last >= rule.grace_s:
                return [self._end(state, obs.t, obs.wall)]
            return []
        return [EventUpdate("updated", event)] if self._peak(state) else []

    def _peak(self, state: _State, first: bool = False) -> bool:
        """Keep the best-scoring moment (and its crop); True when it improved."""
        event, score = state.event, state.score
        probability = score.probability if score else None
        better = probability is not None and probability > (event.peak_probability or 0.0)
        if not (first or better or (event.thumbnail is None and state.crop is not None)):
            return False
        event.peak_probability, event.peak_score = probability, score
        event.thumbnail, event.embedding, event.appearance = state.crop, state.embedding, state.appearance
        return True

    def _end(self, state: _State, t: float, wall: dt.datetime) -> EventUpdate:
        event = state.event
        event.end_t, event.end_wall = t, wall
        state.needs_motion = True  # the same track re-alerts only after it has moved again
        state.decision = "idle"
        return EventUpdate("ended", event)
