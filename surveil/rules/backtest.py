"""Back-testing: which stored tracked objects a rule would have caught.

Stored objects have one embedding (their best crop) and a summary of their motion, so
votes and minimum duration cannot be replayed; the result says which conditions were
left out, so an operator reads the count for what it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from surveil.config.sections import NightConfig
from surveil.rules.conditions import ConditionResult, applies_to_camera, check_all
from surveil.rules.model import Rule
from surveil.rules.observation import Observation
from surveil.rules.scoring import ExampleCache, RuleScorer, ScoreBreakdown
from surveil.rules.word_checks import check_understood
from surveil.rules.words import Understood, compile_prompts
from surveil.rules.words_types import without_clip
from surveil.vision.clip import TextImageEncoder


@dataclass(frozen=True)
class StoredObject:
    """What the store keeps of a finished track that back-testing needs."""

    object_id: str
    camera_id: str
    label: str
    start_wall: dt.datetime
    embedding: np.ndarray | None = None
    box: tuple[float, float, float, float] | None = None
    frame_size: tuple[int, int] | None = None
    mean_speed_bh_s: float = 0.0
    max_stationary_s: float = 0.0
    crop: np.ndarray | None = None  # the stored best crop, read only for a rule with colour words


@dataclass(frozen=True)
class BacktestHit:
    """One object the rule would have fired on, and why."""

    obj: StoredObject
    conditions: list[ConditionResult]
    score: ScoreBreakdown | None


@dataclass
class BacktestResult:
    """Hits, how many objects were checked, and which conditions could not be replayed."""

    hits: list[BacktestHit] = field(default_factory=list)
    checked: int = 0
    left_out: list[str] = field(default_factory=list)

    def per_day(self) -> dict[dt.date, int]:
        """Hits per calendar day (UTC), for the editor's bar chart."""
        days: dict[dt.date, int] = {}
        for hit in self.hits:
            day = hit.obj.start_wall.astimezone(dt.UTC).date()
            days[day] = days.get(day, 0) + 1
        return days


def backtest(rule: Rule, objects: Iterable[StoredObject], encoder: TextImageEncoder | None,
             tz: dt.tzinfo | None = None, examples: ExampleCache | None = None,
             night: NightConfig | None = None) -> BacktestResult:
    """Evaluate ``rule`` on each stored object as one look, its words compiled as the engine compiles them."""
    scorer = RuleScorer(rule, encoder, examples) if rule.prompts and encoder is not None else None
    understood = compile_prompts(rule.prompts, [z.name for z in rule.zones if z.name])
    result, foreign = BacktestResult(left_out=_left_out(rule, encoder, understood)), 0
    for obj in objects:
        if not applies_to_camera(rule.model_copy(update={"enabled": True}), obj.camera_id):
            continue
        result.checked += 1
        observation = _observation(obj)
        conditions = [c for c in check_all(rule, observation, tz)
                      + check_understood(understood, observation, tz, night or NightConfig(), rule.zones)
                      if c.name not in ("heading", "words: count")
                      and not (c.name.endswith("zone") and obj.box is None)]
        score, why = _score(scorer, obj) if scorer is not None else (None, "")
        foreign += why == FOREIGN_EMBEDDING
        if scorer is not None:
            conditions.append(ConditionResult("clip", bool(score and score.passed), score.describe() if score else why))
        elif rule.prompts:
            state, sentence = without_clip(understood, rule.fire_without_clip)
            conditions.append(ConditionResult("clip", state != "quiet", sentence))
        if all(c.ok for c in conditions):
            result.hits.append(BacktestHit(obj, conditions, score))
    if foreign:
        result.left_out.append(f"text prompts for {foreign} object(s) embedded by another CLIP model")
    return result


FOREIGN_EMBEDDING = "embedding from another CLIP model (its size differs)"


def _score(scorer: RuleScorer, obj: StoredObject) -> tuple[ScoreBreakdown | None, str]:
    """The object's score, or None and why: nothing stored, or stored by a model of another size."""
    if obj.embedding is None:
        return None, "no embedding stored"
    try:
        return scorer.score(obj.embedding, obj.label), ""
    except ValueError:  # numpy's shape mismatch: the store was filled with another CLIP model
        return None, FOREIGN_EMBEDDING


def _observation(obj: StoredObject) -> Observation:
    box = obj.box or (0.0, 0.0, 1.0, 1.0)
    return Observation(obj.camera_id, 0, obj.label, box, obj.frame_size or (1, 1), 0.0, obj.start_wall,
                       speed_bh_s=obj.mean_speed_bh_s, stationary_s=obj.max_stationary_s, embedding=obj.embedding,
                       crop=obj.crop)


def _left_out(rule: Rule, encoder: TextImageEncoder | None, understood: Understood) -> list[str]:
    out = []
    if understood.unchecked and encoder is None:
        words = ", ".join(f"'{w}'" for w in understood.unchecked)
        out.append(f"the words {words} (CLIP unavailable)" + ("" if rule.fire_without_clip else ": nothing fires"))
    if understood.count is not None:
        out.append("count words (each stored object is counted alone)")
    if rule.prompts and rule.votes_k > 1:
        out.append(f"votes ({rule.votes_k} of {rule.votes_n}): one stored look per object")
    if rule.min_duration_s:
        out.append("minimum duration")
    if rule.motion and rule.motion.heading_from_deg is not None:
        out.append("heading (not stored)")
    if rule.zones:
        out.append("zones, for objects stored without a box")
    return out


def objects_from_store(store, since: float | None = None, crops: bool = False) -> Iterator[StoredObject]:
    """Every stored tracked object (newest last) as back-testing sees it; ``crops``: with its best crop decoded."""
    from surveil.capture.cv import cv2
    from surveil.store.layout import ms_key

    for record in store.objects(ms_key(int(since * 1000)) if since is not None else ""):
        box = tuple(record.box) if record.box else None
        size = tuple(record.frame_size) if record.frame_size and all(record.frame_size) else None
        yield StoredObject(record.object_id, record.camera_id, record.label,
                           dt.datetime.fromtimestamp(record.start, dt.UTC),
                           store.embedding("o", record.object_id), box if size else None, size,
                           record.mean_speed_bh_s, record.max_stationary_s,
                           _decoded(cv2, store.thumbnail("o", record.object_id)) if crops else None)


def _decoded(cv2, jpeg: bytes | None) -> np.ndarray | None:
    return None if jpeg is None else cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
