"""Dataclasses <-> JSON documents, driven by the dataclass's own type hints.

The store keeps ``TaskState`` and ``FormDef`` as JSON documents so that fields the workflow adds
later survive without a migration: every field is written under its name; on reading, unknown
keys are ignored and missing keys take the field's default. Dates and datetimes are ISO strings;
``dict[int, ...]`` keys are written as strings. Values typed ``Any`` (field values) are kept as
they are, except that datetimes and dates inside them are tagged so they come back as such.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")

_DATETIME_TAG = "$datetime"
_DATE_TAG = "$date"


Converter = Callable[[Any], Any]


def to_document(obj: Any) -> dict[str, Any]:
    """Serialise a dataclass instance to a JSON-ready dict."""
    return {name: dump(getattr(obj, name)) for name, dump, _ in _plan(type(obj))}


def from_document(cls: type[T], doc: Mapping[str, Any]) -> T:
    """Rebuild a dataclass instance; keys the class does not know are ignored."""
    kwargs = {name: load(doc[name]) for name, _, load in _plan(cls) if name in doc}
    return cls(**kwargs)


# One converter per type hint, built on first use: the hot paths (every task read and written)
# then skip re-inspecting the hints value by value. Every converter maps None to None.
_plans: dict[type, tuple[tuple[str, Converter, Converter], ...]] = {}
_dumpers: dict[Any, Converter] = {}
_loaders: dict[Any, Converter] = {}
_PLAIN_TYPES = frozenset({str, int, float, bool})


def _plan(cls: type) -> tuple[tuple[str, Converter, Converter], ...]:
    """(field name, dumper, loader) per init field of a dataclass."""
    plan = _plans.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = _plans[cls] = tuple(
            (f.name, _dumper(hints[f.name]), _loader(hints[f.name]))
            for f in dataclasses.fields(cls)
            if f.init
        )
    return plan


def _dumper(hint: Any) -> Converter:
    found = _dumpers.get(hint)
    if found is None:
        found = _dumpers[hint] = _make_dumper(hint)
    return found


def _make_dumper(hint: Any) -> Converter:
    inner = _is_optional_of(hint)
    if inner is not None:
        return _dumper(inner)
    if hint is Any or hint is object:
        return lambda value: None if value is None else _dump_any(value)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (list, tuple, set, frozenset):
        dump_item = _dumper(args[0] if args else Any)
        return lambda value: None if value is None else [dump_item(v) for v in value]
    if origin is dict:
        dump_value = _dumper(args[1] if len(args) == 2 else Any)
        return lambda value: (
            None if value is None else {str(k): dump_value(v) for k, v in value.items()}
        )
    if hint is datetime or hint is date:
        return lambda value: None if value is None else value.isoformat()
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return lambda value: None if value is None else to_document(value)
    return _dump_scalar


def _dump_scalar(value: Any) -> Any:
    """A value of any other hint (``int``, a ``Literal``...); dates and dataclasses in it are
    converted all the same."""
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_document(value)
    return value


def _dump_any(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_DATETIME_TAG: value.isoformat()}
    if isinstance(value, date):
        return {_DATE_TAG: value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): _dump_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_dump_any(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dump_any(dataclasses.asdict(value))
    return value


def _loader(hint: Any) -> Converter:
    found = _loaders.get(hint)
    if found is None:
        found = _loaders[hint] = _make_loader(hint)
    return found


def _make_loader(hint: Any) -> Converter:
    inner = _is_optional_of(hint)
    if inner is not None:
        return _loader(inner)
    if hint is Any or hint is object:
        return lambda value: None if value is None else _load_any(value)
    if hint is datetime:
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if hint is date:
        return lambda value: None if value is None else date.fromisoformat(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        dataclass_type = hint
        return lambda value: None if value is None else from_document(dataclass_type, value)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (list, tuple, set, frozenset):
        load_item = _loader(args[0] if args else Any)
        if origin is list:
            return lambda value: None if value is None else [load_item(v) for v in value]
        container = origin
        return lambda value: None if value is None else container(load_item(v) for v in value)
    if origin is dict:
        key_hint = args[0] if args else str
        load_value = _loader(args[1] if len(args) == 2 else Any)
        if key_hint is int:
            return lambda value: (
                None if value is None else {int(k): load_value(v) for k, v in value.items()}
            )
        return lambda value: None if value is None else {k: load_value(v) for k, v in value.items()}
    return _identity


def _identity(value: Any) -> Any:
    return value


def _load_any(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            if _DATETIME_TAG in value:
                return datetime.fromisoformat(value[_DATETIME_TAG])
            if _DATE_TAG in value:
                return date.fromisoformat(value[_DATE_TAG])
        return {k: _load_any(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_load_any(v) for v in value]
    return value


def _is_optional_of(hint: Any) -> Any:
    """For ``X | None`` return X; otherwise None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return None
