"""The delivered task, typed on access.

Validating a whole 15 KB task with pydantic costs several times what parsing it does, and a
handler usually reads a few keys. :class:`TaskView` answers each attribute of
:class:`~pyrus_bots.protocol.TaskWithComments` by validating only that attribute's part of the
raw dict (with the model's own field type, so values are the same), and ``field(ref)`` validates
only the field it finds. ``view.model`` builds the full model when wanted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import TypeAdapter

from pyrus_bots.protocol.models.comment import Approval, Subscriber, TaskComment
from pyrus_bots.protocol.models.fields import FormField
from pyrus_bots.protocol.models.files import File
from pyrus_bots.protocol.models.person import Person
from pyrus_bots.protocol.models.task import TaskStep, TaskWithComments

__all__ = ["TaskView"]

_MISSING = object()
_FIELDS = dict(TaskWithComments.model_fields)  # read once: the class property is not free
_NESTING_TYPES = frozenset({"title", "multiple_choice"})


class TaskView:
    """Read-only typed access to the raw task of a delivery (see the module docstring)."""

    __slots__ = ("_cache", "_model", "raw")

    _adapters: ClassVar[dict[str, TypeAdapter[Any]]] = {}

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        """The task as Pyrus sent it."""
        self._model: TaskWithComments | None = None
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"TaskView(id={self.raw.get('id')}, form_id={self.raw.get('form_id')})"

    @property
    def model(self) -> TaskWithComments:
        """The whole task as a validated model (built once, on first use)."""
        if self._model is None:
            self._model = TaskWithComments.model_validate(self.raw)
        return self._model

    def _typed(self, name: str) -> Any:
        cached = self._cache.get(name, _MISSING)
        if cached is not _MISSING:
            return cached
        if self._model is not None:
            value = getattr(self._model, name)
        else:
            raw = self.raw.get(name, _MISSING)
            if raw is _MISSING or raw is None:
                value = _FIELDS[name].get_default(call_default_factory=True)
            else:
                adapter = self._adapters.get(name)
                if adapter is None:
                    annotation: Any = _FIELDS[name].annotation
                    adapter = self._adapters[name] = TypeAdapter(annotation)
                value = adapter.validate_python(raw)
        self._cache[name] = value
        return value

    def __getattr__(self, name: str) -> Any:
        # Model attributes not spelled out below; methods and the rest go to the full model.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _FIELDS:
            return self._typed(name)
        return getattr(self.model, name)

    # --- the attributes handlers use most, typed for editors and mypy ---------------------

    @property
    def id(self) -> int | None:
        return self._typed("id")  # type: ignore[no-any-return]

    @property
    def text(self) -> str | None:
        return self._typed("text")  # type: ignore[no-any-return]

    @property
    def subject(self) -> str | None:
        return self._typed("subject")  # type: ignore[no-any-return]

    @property
    def form_id(self) -> int | None:
        return self._typed("form_id")  # type: ignore[no-any-return]

    @property
    def current_step(self) -> int | None:
        return self._typed("current_step")  # type: ignore[no-any-return]

    @property
    def is_closed(self) -> bool | None:
        return self._typed("is_closed")  # type: ignore[no-any-return]

    @property
    def create_date(self) -> datetime | None:
        return self._typed("create_date")  # type: ignore[no-any-return]

    @property
    def due_date(self) -> date | None:
        return self._typed("due_date")  # type: ignore[no-any-return]

    @property
    def author(self) -> Person | None:
        return self._typed("author")  # type: ignore[no-any-return]

    @property
    def responsible(self) -> Person | None:
        return self._typed("responsible")  # type: ignore[no-any-return]

    @property
    def participants(self) -> list[Person]:
        return self._typed("participants")  # type: ignore[no-any-return]

    @property
    def fields(self) -> list[FormField]:
        return self._typed("fields")  # type: ignore[no-any-return]

    @property
    def approvals(self) -> list[list[Approval]]:
        return self._typed("approvals")  # type: ignore[no-any-return]

    @property
    def subscribers(self) -> list[Subscriber]:
        return self._typed("subscribers")  # type: ignore[no-any-return]

    @property
    def steps(self) -> list[TaskStep]:
        return self._typed("steps")  # type: ignore[no-any-return]

    @property
    def attachments(self) -> list[File]:
        return self._typed("attachments")  # type: ignore[no-any-return]

    @property
    def comments(self) -> list[TaskComment]:
        return self._typed("comments")  # type: ignore[no-any-return]

    @property
    def last_comment(self) -> TaskComment | None:
        """The newest comment (validated alone)."""
        comments = self.raw.get("comments")
        if not comments:
            return None
        cached = self._cache.get("comments", _MISSING)
        if cached is not _MISSING:
            last: TaskComment = cached[-1]
            return last
        return TaskComment.model_validate(comments[-1])

    def field(self, key: int | str) -> FormField | None:
        """A field by id (int) or by code, then name (str), at any depth; only the field
        found is validated. Same answers as ``TaskWithComments.field``."""
        cache_key = f"field:{key!r}"
        cached = self._cache.get(cache_key, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[no-any-return]
        found = self._find(key)
        self._cache[cache_key] = found
        return found

    def _find(self, key: int | str) -> FormField | None:
        if isinstance(key, int) and not isinstance(key, bool):
            for raw, row_id, parent_id in _walk(self.raw.get("fields") or (), None, None):
                if raw.get("id") == key:
                    return _build(raw, row_id, parent_id)
            return None
        named: tuple[dict[str, Any], Any, Any] | None = None
        for raw, row_id, parent_id in _walk(self.raw.get("fields") or (), None, None):
            info = raw.get("info")
            code = raw.get("code") or (info.get("code") if isinstance(info, dict) else None)
            if code == key:
                return _build(raw, row_id, parent_id)
            if named is None and raw.get("name") == key:
                named = (raw, row_id, parent_id)
        return _build(*named) if named is not None else None


def _walk(fields: Any, row_id: Any, parent_id: Any) -> Iterator[tuple[dict[str, Any], Any, Any]]:
    """Raw fields depth first, as ``Task.fields_flat`` orders them (with the row and parent a
    table cell gets), skipping repeats of the same (id, row)."""
    seen: set[tuple[Any, Any]] = set()
    for item in _walk_all(fields, row_id, parent_id):
        key = (item[0].get("id"), item[0].get("row_id", item[1]))
        if item[0].get("id") is not None and key in seen:
            continue
        seen.add(key)
        yield item


def _walk_all(
    fields: Any, row_id: Any, parent_id: Any
) -> Iterator[tuple[dict[str, Any], Any, Any]]:
    for raw in fields:
        if not isinstance(raw, dict):
            continue
        yield raw, row_id, parent_id
        value = raw.get("value")
        kind = raw.get("type")
        if kind in _NESTING_TYPES and isinstance(value, dict):
            yield from _walk_all(value.get("fields") or (), None, None)
        elif kind == "table" and isinstance(value, list):
            for row in value:
                if isinstance(row, dict):
                    yield from _walk_all(row.get("cells") or (), row.get("row_id"), raw.get("id"))


def _build(raw: dict[str, Any], row_id: Any, parent_id: Any) -> FormField:
    built = FormField.model_validate(raw)
    if built.row_id is None and row_id is not None:
        built.row_id = row_id
    if built.parent_id is None and parent_id is not None:
        built.parent_id = parent_id
    return built
