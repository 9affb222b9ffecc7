"""Changes to cameras and rules, checked against a copy of the whole configuration before anything moves.

Each function returns the configuration as it will be after the change, with what the change
does to other parts (the rules that name a removed camera), or raises ``ChangeRefused`` with
one line that says why: the running configuration is never touched by a refused change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from surveil.config import CameraConfig, SurveilConfig
from surveil.rules.model import Rule
from surveil.schema import problems


class ChangeRefused(ValueError):
    """A change the engine will not make; nothing was changed."""


@dataclass(frozen=True)
class Change:
    """A checked change: the whole configuration after it, the notice to send, and its side effects."""

    config: SurveilConfig
    kind: str  # camera_added, camera_updated, camera_removed, rule_changed, rule_removed
    subject: str  # the camera id or rule name
    effects: list[str] = field(default_factory=list)
    replaces: str | None = None  # an edited camera's id before the edit

    def describe(self) -> str:
        """One line for a notice or a dialog."""
        what = f"{self.kind.replace('_', ' ')}: {self.subject}"
        return f"{what} ({'; '.join(self.effects)})" if self.effects else what


def put_camera(config: SurveilConfig, camera: CameraConfig, replaces: str | None = None) -> Change:
    """Add ``camera``, or replace the camera ``replaces`` with it (rules follow a renamed id)."""
    if replaces is not None and not any(c.id == replaces for c in config.cameras):
        raise ChangeRefused(f"no camera '{replaces}' to edit")
    if replaces is None and any(c.id == camera.id for c in config.cameras):
        raise ChangeRefused(f"camera id '{camera.id}' is already used")
    cameras = [camera if c.id == replaces else c for c in config.cameras]
    if replaces is None:
        cameras.append(camera)
    rules, effects = list(config.rules), []
    if replaces is not None and replaces != camera.id:
        rules, effects = _rename_in_rules(config.rules, replaces, camera.id)
    kind = "camera_added" if replaces is None else "camera_updated"
    return Change(_validated(config, cameras=cameras, rules=rules), kind, camera.id, effects, replaces)


ORPHANED = ("disable", "delete")  # what happens to a rule that watched only the removed camera


def remove_camera(config: SurveilConfig, camera_id: str, orphaned: str = "disable") -> Change:
    """Remove a camera; rules that name it stop watching it; a rule left with no camera is disabled (or deleted)."""
    if not any(c.id == camera_id for c in config.cameras):
        raise ChangeRefused(f"no camera '{camera_id}' to remove")
    if orphaned not in ORPHANED:
        raise ChangeRefused(f"unknown choice '{orphaned}' for rules left with no camera: use disable or delete")
    rules, effects = [], []
    for rule in config.rules:
        if camera_id not in rule.cameras:
            rules.append(rule)
            continue
        left = [c for c in rule.cameras if c != camera_id]
        if left:
            effects.append(f"rule '{rule.name}' no longer watches {camera_id}")
            rules.append(rule.model_copy(update={"cameras": left}))
        elif orphaned == "delete":
            effects.append(f"rule '{rule.name}' watched only {camera_id}: deleted")
        else:  # an empty list would mean "every camera": the rule stops instead of widening
            effects.append(f"rule '{rule.name}' watched only {camera_id}: disabled, choose its cameras to enable it")
            rules.append(rule.model_copy(update={"cameras": [], "enabled": False}))
    cameras = [c for c in config.cameras if c.id != camera_id]
    return Change(_validated(config, cameras=cameras, rules=rules), "camera_removed", camera_id, effects)


def put_rule(config: SurveilConfig, data: dict | Rule) -> Change:
    """Add a rule or replace the one with the same name; its cameras must exist."""
    rule = data if isinstance(data, Rule) else _rule(data)
    names = [r.name for r in config.rules]  # an edited rule keeps its place (the file and the editor keep it too)
    rules = [rule if r.name == rule.name else r for r in config.rules] if rule.name in names else [*config.rules, rule]
    return Change(_validated(config, rules=rules), "rule_changed", rule.name)


def remove_rule(config: SurveilConfig, name: str) -> Change:
    """Remove a rule by name."""
    if not any(r.name == name for r in config.rules):
        raise ChangeRefused(f"no rule '{name}' to remove")
    return Change(_validated(config, rules=[r for r in config.rules if r.name != name]), "rule_removed", name)


def _rule(data: dict) -> Rule:
    try:
        return Rule.model_validate(data)
    except ValidationError as exc:
        name = data.get("name", "?") if isinstance(data, dict) else "?"
        raise ChangeRefused(f"rule '{name}' refused: {_problems(exc)}") from None


def _rename_in_rules(rules: list[Rule], old: str, new: str) -> tuple[list[Rule], list[str]]:
    renamed, effects = [], []
    for rule in rules:
        if old in rule.cameras:
            effects.append(f"rule '{rule.name}' now watches {new}")
            rule = rule.model_copy(update={"cameras": [new if c == old else c for c in rule.cameras]})
        renamed.append(rule)
    return renamed, effects


def _validated(config: SurveilConfig, **changed) -> SurveilConfig:
    """A new configuration with ``changed`` fields, checked as a whole (the old one is untouched)."""
    fields = {name: getattr(config, name) for name in SurveilConfig.model_fields} | changed
    try:
        return SurveilConfig.model_validate(fields)
    except ValidationError as exc:
        raise ChangeRefused(_problems(exc)) from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(problems(exc))
