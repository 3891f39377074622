"""Realistic deliveries from a few arguments: tasks, payloads, signed request bodies.

``make_task(form_id=321, step=1, fields={"u_amount": typed("money", 1500)})`` builds the task
Pyrus would send (author, steps, approvals with the bot waiting on the step, every given field
with id, type, name and code, a first comment); ``make_delivery(bot, task=...)`` wraps it in a
webhook body and signs it with the bot's secret as Pyrus does.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from pyrus_bots.protocol.pyrus_json import format_date, format_datetime, format_time
from pyrus_bots.protocol.signature import sign

if TYPE_CHECKING:
    from pyrus_bots.bot.app import Bot

__all__ = [
    "AUTHOR",
    "BOT_PERSON",
    "Delivery",
    "TypedValue",
    "make_comment",
    "make_delivery",
    "make_payload",
    "make_task",
    "typed",
]

BOT_PERSON: dict[str, Any] = {
    "id": 2001,
    "first_name": "Test",
    "last_name": "Bot",
    "email": "bot@00000000000000000000",
    "type": "bot",
}
"""The bot as a person (the same id as FakePyrusAPI's default bot)."""

AUTHOR: dict[str, Any] = {
    "id": 1001,
    "first_name": "Alice",
    "last_name": "Smith",
    "email": "alice@acme.test",
    "type": "user",
}
"""The default task author."""

_task_ids = itertools.count(10_001)
_comment_ids = itertools.count(500_001)
_NOW = "2026-01-12T09:00:00Z"


@dataclass(frozen=True, slots=True)
class TypedValue:
    """A field value with its Pyrus type (and, for choices, the form's options; for a catalog
    field in :func:`~pyrus_bots.testing.make_form`, its catalog)."""

    type: str
    value: Any = None
    name: str | None = None
    options: Sequence[str] | Mapping[int, str] | None = None
    id: int | None = None
    catalog_id: int | None = None
    option_fields: Mapping[str, Mapping[str, str | TypedValue]] | None = None
    """For a choice field in :func:`~pyrus_bots.testing.make_form`: option name -> the option's
    sub-fields (code -> type name or :func:`typed`)."""


def typed(
    type: str,
    value: Any = None,
    *,
    name: str | None = None,
    options: Sequence[str] | Mapping[int, str] | None = None,
    id: int | None = None,
    catalog_id: int | None = None,
    option_fields: Mapping[str, Mapping[str, str | TypedValue]] | None = None,
) -> TypedValue:
    """A field of a given type for :func:`make_task`: ``typed("money", 1500)``,
    ``typed("multiple_choice", "New", options=["New", "Approved"])``; ``value=None`` leaves
    the field empty (it is still listed, as Pyrus lists every form field). ``options`` give
    the choice's id and name in the value; like Pyrus, the task does not list them (the form
    template does: see :func:`~pyrus_bots.testing.make_form`). ``option_fields`` give the
    sub-fields of a choice's options, by option name (``{"Invoice": {"u_inn": "text"}}``)."""
    return TypedValue(type, value, name, options, id, catalog_id, option_fields)


def _person(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, int):
        return {"id": value, "first_name": f"Person {value}", "type": "user"}
    if isinstance(value, str):
        first = value.split("@")[0].capitalize()
        return {
            "id": zlib.crc32(value.encode()) % 10**6 + 10**6,
            "first_name": first,
            "email": value,
        }
    raise TypeError(f"a person is a dict, an id or an e-mail, not {value!r}")


def _infer(value: Any) -> TypedValue:
    if isinstance(value, TypedValue):
        return value
    if isinstance(value, bool):
        return TypedValue("checkmark", value)
    if isinstance(value, int | float | Decimal):
        return TypedValue("number", value)
    if isinstance(value, datetime):
        return TypedValue("due_date_time", value)
    if isinstance(value, date):
        return TypedValue("date", value)
    if isinstance(value, time):
        return TypedValue("time", value)
    if isinstance(value, Mapping):
        if "choice_ids" in value or "choice_id" in value:
            return TypedValue("multiple_choice", value)
        if {"item_id", "item_ids"} & set(value):
            return TypedValue("catalog", value)
        if "email" in value or "first_name" in value:
            return TypedValue("person", value)
        if "fields" in value:
            return TypedValue("title", value)
    if isinstance(value, str) or value is None:
        return TypedValue("text", value)
    raise TypeError(f"cannot tell the field type of {value!r}: wrap it in typed(TYPE, value)")


def choice_options(spec: TypedValue) -> dict[int, str]:
    """The options of a choice field: choice id -> name (ids from 1 for a list of names)."""
    if spec.options is None:
        return {}
    if isinstance(spec.options, Mapping):
        return dict(spec.options)
    return {index: text for index, text in enumerate(spec.options, start=1)}


def wire_value(spec: TypedValue, options: dict[int, str]) -> Any:
    """The value as a delivered task carries it (a choice name becomes its id and name)."""
    value = spec.value
    if value is None:
        return None
    kind = spec.type
    if kind in ("checkmark", "flag") and isinstance(value, bool):
        return "checked" if value else "unchecked"
    if kind == "multiple_choice" and not isinstance(value, Mapping):
        wanted = list(value) if isinstance(value, list | tuple) else [value]
        by_name = {text: choice_id for choice_id, text in options.items()}
        ids = [by_name[v] if isinstance(v, str) else v for v in wanted]
        return {"choice_ids": ids, "choice_names": [options.get(i, str(i)) for i in ids]}
    if kind in ("person", "author"):
        return _person(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return format_time(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def field_name(code: str, spec: TypedValue) -> str:
    """The field's name: given, or made from its code (``u_cost_center`` -> Cost center)."""
    return spec.name or code.removeprefix("u_").replace("_", " ").capitalize()


def task_field(code: str, spec: TypedValue, field_id: int) -> dict[str, Any]:
    """A field of a delivered task: id, type, name, code and the value when not empty (no
    ``info``: a task does not carry the form's options, as on Pyrus)."""
    entry: dict[str, Any] = {
        "id": spec.id or field_id,
        "type": spec.type,
        "name": field_name(code, spec),
        "code": code,
    }
    value = wire_value(spec, choice_options(spec))
    if value is not None:
        entry["value"] = value
    return entry


def make_comment(
    text: str | None = "Please check",
    *,
    author: Mapping[str, Any] | int | str | None = None,
    comment_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A comment as Pyrus sends it (a fresh id each call, so dedupe tells deliveries apart)."""
    comment: dict[str, Any] = {
        "id": comment_id if comment_id is not None else next(_comment_ids),
        "create_date": _NOW,
        "author": _person(author) if author is not None else dict(AUTHOR),
    }
    if text:
        comment["text"] = text
    comment.update(extra)
    return comment


def make_task(
    form_id: int | None = None,
    *,
    step: int | None = None,
    fields: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    task_id: int | None = None,
    author: Mapping[str, Any] | int | str | None = None,
    text: str = "Purchase request",
    comments: Sequence[Mapping[str, Any]] | None = None,
    comment: str | None = "Please check",
    steps: int | None = None,
    closed: bool = False,
    bot: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A task as a delivery carries it.

    ``fields`` maps field codes to values (type inferred: bool -> checkmark, number ->
    number, date -> date, str -> text, ...; wrap in :func:`typed` for any other type) or is a
    list of raw field dicts. A form task (``form_id`` given) is on ``step`` (default 1) of
    ``steps`` steps, with the bot waiting there. ``comments`` replaces the single default
    comment; ``extra`` keys go into the task as given.
    """
    task_id = task_id if task_id is not None else next(_task_ids)
    author_person = _person(author) if author is not None else dict(AUTHOR)
    bot_person = dict(bot or BOT_PERSON)
    task: dict[str, Any] = {
        "id": task_id,
        "text": text,
        "create_date": _NOW,
        "last_modified_date": _NOW,
        "author": author_person,
    }
    if form_id is not None:
        current = step or 1
        count = max(steps or current, current)
        task["form_id"] = form_id
        task["current_step"] = current
        task["steps"] = [{"step": n, "name": f"Step {n}"} for n in range(1, count + 1)]
        approvals: list[list[dict[str, Any]]] = [[] for _ in range(count)]
        approvals[current - 1].append({"person": bot_person, "approval_choice": "waiting"})
        task["approvals"] = approvals
    else:
        task["responsible"] = bot_person
    if fields:
        if isinstance(fields, Mapping):
            task["fields"] = [
                task_field(code, _infer(value), index)
                for index, (code, value) in enumerate(fields.items(), start=1)
            ]
        else:
            task["fields"] = [dict(f) for f in fields]
    if closed:
        task["is_closed"] = True
        task["close_date"] = _NOW
    else:
        task["is_closed"] = False
    if comments is not None:
        task["comments"] = [dict(c) for c in comments]
    else:
        task["comments"] = [make_comment(comment, author=author_person)]
    if task["comments"]:
        task["last_note_id"] = task["comments"][-1].get("id")
    task.update(extra)
    return task


def make_payload(
    task: Mapping[str, Any],
    *,
    event: str = "comment",
    settings: str | Mapping[str, Any] | None = None,
    access_token: str = "test-access-token",
    user_id: int = BOT_PERSON["id"],
) -> dict[str, Any]:
    """The webhook body around ``task``; ``settings`` as text or as a dict (sent as JSON text,
    as Pyrus delivers ``bot_settings``)."""
    payload: dict[str, Any] = {
        "event": event,
        "task_id": task.get("id"),
        "user_id": user_id,
        "access_token": access_token,
        "task": dict(task),
    }
    if settings is not None:
        payload["bot_settings"] = (
            settings if isinstance(settings, str) else orjson.dumps(settings).decode()
        )
    return payload


@dataclass(frozen=True, slots=True)
class Delivery:
    """A signed webhook request: the exact body bytes and the headers Pyrus sends."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def signature(self) -> str | None:
        return self.headers.get("X-Pyrus-Sig")

    @property
    def task(self) -> dict[str, Any]:
        task: dict[str, Any] = self.payload.get("task") or {}
        return task

    def retried(self, attempt: int) -> Delivery:
        """The same delivery as Pyrus's attempt number ``attempt`` (same body and signature)."""
        return Delivery(self.body, {**self.headers, "X-Pyrus-Retry": f"{attempt}/3"}, self.payload)


def make_delivery(
    bot: Bot | str | bytes,
    task: Mapping[str, Any] | None = None,
    *,
    event: str = "comment",
    settings: str | Mapping[str, Any] | None = None,
    access_token: str = "test-access-token",
    retry: int = 1,
    payload: Mapping[str, Any] | None = None,
    **task_options: Any,
) -> Delivery:
    """A delivery signed with ``bot``'s secret (or the secret given), as Pyrus would send it.

    ``task`` defaults to ``make_task(**task_options)``; ``payload`` replaces the whole body.
    """
    if payload is None:
        task = task if task is not None else make_task(**task_options)
        payload = make_payload(task, event=event, settings=settings, access_token=access_token)
    body = orjson.dumps(payload)
    signature = sign(body, bot, upper=True) if isinstance(bot, str | bytes) else bot.sign(body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Pyrus-Bot-4",
        "X-Pyrus-Sig": signature,
        "X-Pyrus-Retry": f"{retry}/3",
    }
    return Delivery(body, headers, dict(payload))
