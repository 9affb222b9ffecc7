"""Loading and saving the configuration file, with errors that name file, line, field and reason."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from surveil.config.migrations import MigrationError, migrate
from surveil.config.root import SCHEMA_VERSION, SurveilConfig
from surveil.config.roundtrip import edit_text
from surveil.redact import mask_credentials
from surveil.sources import SourceKind, parse_source

logger = logging.getLogger(__name__)

_HEADER = "# surveil configuration. Every key is described in `surveil config schema`.\n"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config file."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.field or '(top level)'}: {self.message}"


class ConfigError(Exception):
    """A config file that cannot be used. The app does not start half-configured."""

    def __init__(self, path: Path | str, problems: list[Problem]):
        self.path = Path(path)
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"invalid configuration in {self.path}:\n{lines}")


def load_config(path: Path | str) -> SurveilConfig:
    """Read, migrate and validate a YAML config file. Raises ConfigError on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Problem("", "file does not exist")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [Problem("", f"cannot read the file: {exc}")]) from None
    return _resolve_relative_files(parse_config(text, path), path.parent)


def load_or_default(path: Path | str | None, default_path: Path) -> tuple[SurveilConfig, Path | None]:
    """``path`` when given (it must exist); else ``default_path`` if it exists; else the defaults."""
    if path is not None:
        return load_config(path), Path(path)
    if default_path.exists():
        return load_config(default_path), default_path
    return SurveilConfig(), None


def parse_config(text: str, path: Path | str = "<string>") -> SurveilConfig:
    """Validate YAML text as a config; ``path`` only names the source in errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [Problem("", f"not valid YAML: {reason}", line)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, [Problem("", f"the file must hold a mapping of keys, not a {type(data).__name__}")])
    try:
        data = migrate(data, SCHEMA_VERSION)
        return SurveilConfig.model_validate(data)
    except MigrationError as exc:
        raise ConfigError(path, [Problem("schema_version", str(exc), _line_of(node, ("schema_version",)))]) from None
    except ValidationError as exc:
        raise ConfigError(path, _problems(exc, node, data)) from None


def save_config(config: SurveilConfig, path: Path | str, *, keep_layout: bool = False) -> Path:
    """Write ``config`` as YAML atomically: a reader never sees half a file.

    With ``keep_layout`` an existing file is changed only where it differs from ``config``: its
    comments, layout and untouched values (relative paths) stay. Without a file, or with one that
    cannot be edited that way, the whole configuration is written (the reason is logged).
    """
    path = Path(path)
    text = _edited(config, path) if keep_layout else None
    if text is None:
        text = _HEADER + yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("saved configuration to %s", path)
    return path


def _edited(config: SurveilConfig, path: Path) -> str | None:
    """The file at ``path`` edited to hold ``config``, checked by loading it back; None when it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
        current = _resolve_relative_files(parse_config(text, path), path.parent)
    except FileNotFoundError:
        logger.info("no configuration file at %s yet: writing it in full", path)
        return None
    except (OSError, UnicodeDecodeError, ConfigError) as exc:
        logger.warning("cannot edit %s in place (%s): writing it in full", path, exc)
        return None
    try:
        edited = edit_text(text, current, config)
        again = _resolve_relative_files(parse_config(edited, path), path.parent)
    except Exception as exc:  # the full write is always possible; an edit is a nicety
        logger.warning("cannot edit %s in place (%s): writing it in full", path, mask_credentials(str(exc)),
                       exc_info=not isinstance(exc, ValueError))  # a traceback only for what is a bug
        return None
    if _by_key(again) != _by_key(_resolve_relative_files(config.model_copy(deep=True), path.parent)):
        logger.warning("editing %s in place would not give the new configuration: writing it in full", path)
        return None
    return edited


def _by_key(config: SurveilConfig) -> SurveilConfig:
    """``config`` with cameras and rules in key order: an edit keeps the file's order of its items."""
    return config.model_copy(update={"cameras": sorted(config.cameras, key=lambda c: c.id),
                                     "rules": sorted(config.rules, key=lambda r: r.name)})


def _resolve_relative_files(config: SurveilConfig, base: Path) -> SurveilConfig:
    """Make relative file sources relative to the config file, not to wherever the app was started."""
    for camera in config.cameras:
        spec = parse_source(camera.source)
        if spec.kind is SourceKind.FILE and not Path(str(spec.target)).is_absolute():
            camera.source = str((base / str(spec.target)).resolve())
    return config


def _problems(exc: ValidationError, node: yaml.Node | None, data: dict) -> list[Problem]:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        message = "unknown key (not part of this section)" if error["type"] == "extra_forbidden" else error["msg"]
        message = mask_credentials(message.removeprefix("Value error, "))
        problems.append(Problem(_dotted(loc, data), message, _line_of(node, loc)))
    return problems


def _dotted(loc: tuple[Any, ...], data: dict) -> str:
    """'rules[1] (fence climber).zones[0].points': list items that have a name show it."""
    out, node = "", data
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        node = _child(node, part)
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("name"), str):
            out += f" ({node['name']})"
    return out


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc`` (the key itself where it exists)."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
