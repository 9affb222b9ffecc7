"""Every setting the operator can write is read somewhere in the product: a config or rule field
that nothing reads is a knob that does nothing.

The product (surveil/ and ui/, less the files that declare the models) is scanned for attribute
reads (``x.name`` as a load, not a store, not in a comment or string). A field also counts as read
when the product reads one of the model's own methods or properties that reads it (``config.zone()``
reads ``timezone``). Reads inside validators do not count: checking a value is not using it.
"""

import ast
import inspect
import typing
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from surveil.config import SurveilConfig
from surveil.rules.model import Rule

ROOT = Path(__file__).resolve().parent.parent

# Where the fields are declared (and validated), and the config migrations: not readers.
DECLARED = (ROOT / "surveil" / "config", ROOT / "surveil" / "rules" / "model.py")

# Fields read by name rather than as an attribute, which the scan cannot see: field -> (the file that
# reads it, why). A test checks that the file still names the field in quotes. Keep it short.
READ_BY_NAME: dict[str, tuple[str, str]] = {
    "CameraConfig.event_days": (
        "surveil/media/retention.py",
        "retention's _cutoff reads getattr(camera, 'event_days'), with storage.retention_days as the fallback",
    ),
}


def _models(annotation, seen: list[type[BaseModel]]) -> list[type[BaseModel]]:
    """Every pydantic model reachable from ``annotation``: through fields, lists, unions and optionals."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.append(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, seen)
        return seen
    for arg in typing.get_args(annotation):
        _models(arg, seen)
    return seen


def _all_models() -> list[type[BaseModel]]:
    return _models(Rule, _models(SurveilConfig, []))


def _product_files() -> list[Path]:
    files = [f for top in ("surveil", "ui") for f in sorted((ROOT / top).rglob("*.py"))]
    return [f for f in files if not any(f == d or d in f.parents for d in DECLARED) and "migration" not in f.name]


def _attributes_read(files) -> set[str]:
    """Names read as attributes (``x.name``, not stores) in these files."""
    read = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                read.add(node.attr)
    return read


def _accessors(model: type[BaseModel]) -> dict[str, set[str]]:
    """The model's own methods and properties (not its validators), each with the names it reads from self."""
    out = {}
    for node in ast.parse(inspect.getsource(model)).body[0].body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("__"):
            continue
        decorators = [ast.unparse(d).split("(")[0].split(".")[-1] for d in node.decorator_list]
        if any("validator" in d or "serializer" in d for d in decorators):
            continue
        out[node.name] = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                          and isinstance(n.value, ast.Name) and n.value.id == "self"}
    return out


def _unread(models, read: set[str]) -> list[str]:
    """``Model.field`` for every field neither read directly nor through an accessor that is read."""
    unread = []
    for model in models:
        through = {name for accessor, names in _accessors(model).items() if accessor in read for name in names}
        unread += [f"{model.__name__}.{name}" for name in model.model_fields if name not in read | through]
    return unread


def test_the_walk_reaches_every_section_and_the_scan_sees_the_product():
    names = {m.__name__ for m in _all_models()}
    assert {"SurveilConfig", "CameraConfig", "ReconnectConfig", "MotionConfig", "ModelsConfig", "DetectorConfig",
            "ClipConfig", "StorageConfig", "RecordingConfig", "Rule", "Zone", "MotionCondition", "Schedule",
            "WebhookAction"} <= names
    files = _product_files()
    assert ROOT / "surveil" / "engine" / "engine.py" in files and ROOT / "ui" / "main_window.py" in files
    assert not [f for f in files if f.is_relative_to(ROOT / "surveil" / "config")]
    assert ROOT / "surveil" / "rules" / "model.py" not in files


class _Knobs(BaseModel):
    """A model made for the check below: one field read, one read through a property, one only validated."""

    used: int = 0
    shown: str = ""
    checked: int = 0

    @field_validator("checked")
    @classmethod
    def _positive(cls, value: int) -> int:
        return value

    @property
    def label(self) -> str:
        return self.shown or "none"


class _Outer(BaseModel):
    knobs: list[_Knobs | None] = Field(default_factory=list)
    forgotten: float = 1.0


def test_the_check_finds_a_field_nothing_reads(tmp_path):
    reader = tmp_path / "reader.py"
    reader.write_text("def run(outer):\n    outer.forgotten = 2  # a store is not a read\n"
                      "    for k in outer.knobs:\n        print(k.used, k.label)  # k.checked is never used\n")
    assert _models(_Outer, []) == [_Outer, _Knobs], "the walk goes through lists, unions and optionals"
    assert _unread(_models(_Outer, []), _attributes_read([reader])) == ["_Outer.forgotten", "_Knobs.checked"]


def test_every_config_and_rule_field_has_a_reader_in_the_product():
    unread = [f for f in _unread(_all_models(), _attributes_read(_product_files())) if f not in READ_BY_NAME]
    assert unread == [], f"fields nothing in surveil/ or ui/ reads: {unread}"


def test_the_fields_read_by_name_still_exist_and_are_still_named_by_their_reader():
    fields = {f"{m.__name__}.{name}" for m in _all_models() for name in m.model_fields}
    stale = [field for field, (reader, _why) in READ_BY_NAME.items()
             if field not in fields or f'"{field.split(".")[1]}"' not in (ROOT / reader).read_text()]
    assert stale == [], "entries of READ_BY_NAME whose field or reader is gone: drop them"
