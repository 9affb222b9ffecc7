"""Edits that keep the operator's config file: only what changed is written; comments and layout stay.

The file is loaded with ruamel.yaml's round-trip loader and compared, field by field, with the
configuration it must now hold. An equal value keeps its text (a relative path stays relative, a
key never written stays absent); a changed value is written in place, keeping the key's comment,
even when it is back at its default (the operator chose to write that key); a new key comes with
only its non-default fields. ``cameras`` and ``rules`` are matched by id and by name, not by
position: an edited item keeps its comments, a renamed one (a new key in the place of a gone one)
is edited in place, a new one is appended and a removed one leaves with the comments above it;
the items keep the file's order.

ruamel keeps a comment in the slot of the value *before* it; the helpers at the end move those
comments so that they stay with the item or key that follows them.
"""

from __future__ import annotations

import io
from typing import Any

import yaml as pyyaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

KEYED = {"cameras": "id", "rules": "name"}  # lists whose items are matched by this field
_STR = "tag:yaml.org,2002:str"
_RESOLVER = pyyaml.resolver.Resolver()  # the loader's (YAML 1.1) idea of what a plain scalar is


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, but None is written ``null``, as loaded, not left empty."""


_Representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))


def edit_text(text: str, current: BaseModel, new: BaseModel) -> str:
    """``text``, a YAML file that holds ``current``, changed as little as possible to hold ``new``.

    Raises ValueError when ruamel cannot read the text or it does not hold a mapping.
    """
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True  # "22:00" must stay a string for the YAML 1.1 loader
    yaml.width = 4096  # never fold a long line the operator wrote on one
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{url: ...}] stays [{url: ...}]
    yaml.Representer = _Representer
    try:
        doc, sequence, offset = load_yaml_guess_indent(text, yaml=yaml)
    except YAMLError as exc:  # stricter than the loader: duplicate keys, for one
        raise ValueError(f"ruamel.yaml cannot read it: {getattr(exc, 'problem', None) or exc}") from None
    doc = CommentedMap() if doc is None else doc
    if not isinstance(doc, CommentedMap):
        raise ValueError(f"the file holds a {type(doc).__name__}, not a mapping")
    blocks = [v for v in doc.values() if isinstance(v, CommentedMap) and v and not v.fa.flow_style()]
    mapping = blocks[0].lc.col if blocks else 2
    if offset is None:  # no block sequence in the file yet: the README's style, "  - id: ..."
        sequence, offset = mapping + 2, mapping
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    _merge(doc, current, new)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _merge(node: CommentedMap, current: BaseModel, new: BaseModel) -> None:
    """Change ``node`` (which holds ``current``) field by field until it holds ``new``."""
    for name in type(new).model_fields:
        old, value = getattr(current, name), getattr(new, name)
        if old == value:
            continue  # the file's own text stays, whatever form it takes
        there = node.get(name)
        if name not in node:
            _insert(node, _schema_position(node, type(new), name), name, _dumped(new, name))
        elif isinstance(value, BaseModel) and isinstance(old, BaseModel) and isinstance(there, CommentedMap):
            _merge(there, old, value)
        elif _keyed(name, old, value) and isinstance(there, CommentedSeq):
            _merge_items(node, name, current, new)
        else:
            _replace(node, name, _dumped(new, name))


def _merge_items(node: CommentedMap, name: str, current: BaseModel, new: BaseModel) -> None:
    """Match the items of a keyed list: edit those that stay, remove the gone, append the new."""
    seq, key = node[name], KEYED[name]
    olds, news = getattr(current, name), getattr(new, name)
    where = {getattr(item, key): i for i, item in enumerate(olds)}
    kept = {getattr(item, key) for item in news}
    gone = [i for i, item in enumerate(olds) if getattr(item, key) not in kept]
    added = []
    for j, item in enumerate(news):
        i = where.get(getattr(item, key))
        if i is None and j in gone:  # a new key where an old one went: the same item, renamed
            gone.remove(j)
            i = j
        if i is None:
            added.append(item)
        elif olds[i] != item:
            if isinstance(seq[i], CommentedMap):
                _merge(seq[i], olds[i], item)
            else:
                _replace(seq, i, _node(item.model_dump(mode="json", exclude_defaults=True)))
    for i in sorted(gone, reverse=True):
        _remove_item(node, name, i)
    if not seq and seq.fa.flow_style():  # "rules: []" grows into a block list
        seq.fa.set_block_style()
    for item in added:
        _insert(seq, len(seq), None, _node(item.model_dump(mode="json", exclude_defaults=True)))


def _keyed(name: str, old: Any, new: Any) -> bool:
    """Whether both values are lists of models matched by a key field (cameras by id, rules by name)."""
    if name not in KEYED or not isinstance(old, list) or not isinstance(new, list):
        return False
    return all(isinstance(item, BaseModel) and hasattr(item, KEYED[name]) for item in [*old, *new])


def _schema_position(node: CommentedMap, model: type[BaseModel], name: str) -> int:
    """Where a new key goes: after the keys the schema puts before it, so the file reads in schema order."""
    before = list(model.model_fields)[: list(model.model_fields).index(name)]
    keys = list(node)
    return max((keys.index(k) + 1 for k in before if k in node), default=0)


def _dumped(model: BaseModel, name: str) -> Any:
    """One field of ``model`` as YAML data: nested models with only their non-default fields."""
    data = model.model_dump(mode="json", include={name}, exclude_defaults=True)
    if name not in data:  # back to its default: still written, where the operator had written the key
        data = model.model_dump(mode="json", include={name})
    return _node(data[name])


def _node(value: Any) -> Any:
    """Plain data as ruamel nodes: lists of scalars in flow style (``[person, car]``), the rest in blocks."""
    if isinstance(value, dict):
        return CommentedMap((k, _node(v)) for k, v in value.items())
    if isinstance(value, list):
        seq = CommentedSeq(_node(v) for v in value)
        if not any(isinstance(v, dict) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, float) and value.is_integer():
        return int(value)  # "cooldown_s: 30" as the operator would write it; the model reads it as 30.0
    if isinstance(value, str) and _RESOLVER.resolve(pyyaml.ScalarNode, value, (True, False)) != _STR:
        return DoubleQuotedScalarString(value)  # "22:00:00", "yes", "0": the loader (YAML 1.1) reads these as str
    return value


# -- comments ---------------------------------------------------------------------------------------
# A comment on its own line is kept in the slot of the last scalar before it, after that scalar's
# end-of-line comment: "# relative\n  # the next camera\n". The lines after the first belong to
# whatever follows the entry; these helpers read and move them.

def _insert(coll: CommentedBase, position: int, key: str | None, value: Any) -> None:
    """Insert an entry; the comment lines of what follows the entry before it now follow the new one."""
    lines = _set_after(coll, _key_at(coll, position - 1), "") if position > 0 else ""
    if isinstance(coll, CommentedMap):
        coll.insert(position, key, value)
    else:
        coll.insert(position, value)
    _set_after(coll, _key_at(coll, position), lines)


def _replace(coll: CommentedBase, key: Any, value: Any) -> None:
    """Give an entry a new value; its end-of-line comment stays, the lines after it stay after it."""
    lines = _set_after(coll, key, "")
    coll[key] = value
    _set_after(coll, key, lines)


def _remove_item(node: CommentedMap, name: str, index: int) -> None:
    """Remove ``node[name][index]`` with the comment lines above it; the lines below it stay."""
    seq = node[name]
    lines = _set_after(seq, index, "")
    if index > 0:
        _set_after(seq, index - 1, lines)  # drops the removed item's own comments, kept there
    else:
        before = [CommentToken(lines, CommentMark(0))] if lines else None
        node.ca.items.setdefault(name, [None, None, None, None])[3] = before
        if seq.ca.comment:
            seq.ca.comment[1] = before
    del seq[index]


def _key_at(coll: CommentedBase, position: int) -> Any:
    return list(coll)[position] if isinstance(coll, CommentedMap) else position


def _set_after(coll: CommentedBase, key: Any, lines: str) -> str:
    """Put ``lines`` after the entry ``coll[key]``; return the lines that were there."""
    coll, key = _tail(coll, key)
    slot = 2 if isinstance(coll, CommentedMap) else 0
    entry = coll.ca.items.get(key)
    token = entry[slot] if entry else None
    head, _, was = token.value.partition("\n") if token else ("", "", "")
    if token is not None:
        token.value = f"{head}\n{lines}"  # in place: a flow collection shares this token
    elif lines:
        entry = coll.ca.items.setdefault(key, [None, None, None, None] if slot else [None, None])
        entry[slot] = CommentToken(f"\n{lines}", CommentMark(0))
    return was


def _tail(coll: CommentedBase, key: Any) -> tuple[CommentedBase, Any]:
    """The entry whose comment slot holds what follows ``coll[key]``: the last scalar of a nested block."""
    value = coll[key]
    while isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
        coll, key = value, _key_at(value, len(value) - 1)
        value = coll[key]
    return coll, key
