"""The task answers the official TypeScript and C# clients declare, for checking responses.

Transcribed from pyrusapi-typescript (``src/responses/{taskResponse, formRegisterResponse,
taskListResponse, inboxResponse, calendarResponse}.ts``, ``src/entities/{taskHeader, task,
TaskWithComments, taskComment, taskGroup, attachedFile, approval, subscriber, step}.ts``: a key
without ``?`` is required) and pyrusapi-csharp (``Responses/*Response.cs``,
``Entities/{TaskHeader, Task, TaskWithComments, TaskComment, TaskGroup, File, Approval,
Subscriber}.cs``: Newtonsoft fails on a ``null`` for a value type and on a number beyond the
declared integer width, and ``StringEnumConverter`` on an unknown enum name; a missing key is
its default, so only the collections callers iterate are required).

Kinds: ``int32``/``int64`` (C# widths), ``number`` (a JS number: an integer must stay within
2**53), ``str``, ``bool``, ``datetime`` (``YYYY-MM-DDThh:mm:ssZ``), ``date`` (``YYYY-MM-DD`` or a
date-time), ``enum:a|b``, ``any``, ``@Shape``, ``[kind]`` (a list of it). People are checked
against ``people_shapes.PERSON_KEYS`` (types of every key the clients declare).

TypeScript declares ``text`` of a task and of a comment required; Pyrus leaves every empty value
out (a form task has no text, a comment that only approves has none), so ``text`` is checked for
its type when present. The same holds for the Person keys TypeScript declares required
(``banned``, ``position``, ``skype``, ``phone``): a person inside a task carries its id, type and
the names and e-mail it has, as Pyrus writes it in tasks and webhooks.
"""

from __future__ import annotations

import re
from typing import Any

from api.people_shapes import PERSON_KEYS

Shape = dict[str, tuple[Any, bool]]

_CHOICE = "enum:waiting|approved|rejected|revoked|acknowledged"
_ACTION = "enum:finished|reopened"


def _header(int_kind: str) -> Shape:
    return {
        "id": (int_kind, True),
        "text": ("str", False),  # required in TypeScript, omitted by Pyrus when empty
        "formatted_text": ("str", False),
        "create_date": ("datetime", True),
        "last_modified_date": ("datetime", True),
        "author": ("@Person", True),
        "close_date": ("datetime", False),
        "responsible": ("@Person", False),
        "due_date": ("date", False),
    }


def _task(int_kind: str, long_kind: str) -> Shape:
    return {
        **_header(int_kind),
        "due": ("datetime", False),
        "scheduled_date": ("date", False),
        "scheduled_datetime_utc": ("datetime", False),
        "cancel_schedule": ("bool", False),
        "duration": (int_kind, False),
        "form_id": (int_kind, False),
        "attachments": (["@File"], False),
        "fields": (["@Field"], False),
        "approvals": ([["@Approval"]], False),
        "subscribers": (["@Subscriber"], False),
        "participants": (["@Person"], False),
        "list_ids": ([int_kind], False),
        "linked_task_ids": ([int_kind], False),
        "parent_task_id": (int_kind, False),
        "last_note_id": (long_kind, False),
        "subject": ("str", False),
        "current_step": (int_kind, False),
        "is_closed": ("bool", True),
    }


def _comment(int_kind: str, long_kind: str) -> Shape:
    return {
        "id": (long_kind, True),
        "text": ("str", False),  # required in TypeScript, omitted by Pyrus when empty
        "formatted_text": ("str", False),
        "mentions": ([int_kind], False),
        "subject": ("str", False),
        "create_date": ("datetime", True),
        "author": ("@Person", True),
        "reassigned_to": ("@Person", False),
        "field_updates": (["@Field"], False),
        "approval_choice": (_CHOICE, False),
        "reset_to_step": (int_kind, False),
        "approvals_added": ([["@Approval"]], False),
        "approvals_removed": ([["@Approval"]], False),
        "approvals_rerequested": ([["@Approval"]], False),
        "subscribers_added": (["@Person"], False),
        "subscribers_removed": (["@Person"], False),
        "participants_added": (["@Person"], False),
        "participants_removed": (["@Person"], False),
        "due_date": ("date", False),
        "due": ("datetime", False),
        "duration": (int_kind, False),
        "attachments": (["@File"], False),
        "action": (_ACTION, False),
        "added_list_ids": ([int_kind], False),
        "removed_list_ids": ([int_kind], False),
        "approval_step": (int_kind, False),
        "changed_step": (int_kind, False),
        "spent_minutes": (int_kind, False),
    }


def _shapes(int_kind: str, long_kind: str) -> dict[str, Shape]:
    task = _task(int_kind, long_kind)
    return {
        "TaskHeader": _header(int_kind),
        "Task": task,
        "TaskWithComments": {
            **task,
            "comments": (["@TaskComment"], True),
            "steps": (["@Step"], False),
        },
        "TaskComment": _comment(int_kind, long_kind),
        "TaskGroup": {
            "id": (int_kind, True),
            "name": ("str", True),
            "has_more": ("bool", True),
            "tasks": (["@TaskHeader"], True),
        },
        "File": {
            "id": (int_kind, True),
            "name": ("str", True),
            "size": (long_kind, True),
            "md5": ("str", True),
            "url": ("str", True),
            "version": (int_kind, True),
            "root_id": (int_kind, False),
        },
        "Approval": {
            "person": ("@Person", True),
            "approval_choice": (_CHOICE, False),
            "step": (int_kind, False),
        },
        "Subscriber": {"person": ("@Person", True), "approval_choice": (_CHOICE, False)},
        "Step": {
            "step": (int_kind, True),
            # Required in TypeScript; the platform gives it for the steps the task reached.
            "elapsed_time": (long_kind, False),
            "name": ("str", False),
        },
        "Field": {
            "id": (int_kind, True),
            "name": ("str", True),
            "type": ("str", False),
            "code": ("str", False),
            "parent_id": (int_kind, False),
            "row_id": (int_kind, False),
            "value": ("any", False),
        },
    }


_TYPESCRIPT = _shapes("number", "number")
_TYPESCRIPT.update(
    {
        "TaskResponse": {"task": ("@TaskWithComments", True)},
        "FormRegisterResponse": {"tasks": (["@Task"], True)},
        "TaskListResponse": {"tasks": (["@TaskHeader"], True), "has_more": ("bool", True)},
        "InboxResponse": {
            "tasks": (["@TaskHeader"], True),
            "has_more": ("bool", True),
            "task_groups": (["@TaskGroup"], True),
        },
        "CalendarResponse": {"tasks": (["@TaskWithComments"], True), "has_more": ("bool", True)},
    }
)
_CSHARP = _shapes("int32", "int64")
_CSHARP.update(
    {
        "TaskResponse": {"task": ("@TaskWithComments", True)},
        "MultipleTasksChangeResponse": {"tasks": (["@Task"], True)},
        "FormRegisterResponse": {"tasks": (["@Task"], True)},
        "TaskListResponse": {"tasks": (["@TaskHeader"], True), "has_more": ("bool", False)},
        "InboxResponse": {
            "tasks": (["@TaskHeader"], True),
            "has_more": ("bool", False),
            "task_groups": (["@TaskGroup"], True),
        },
        "CalendarResponse": {"tasks": (["@TaskWithComments"], True), "has_more": ("bool", False)},
    }
)
SHAPES = {"typescript": _TYPESCRIPT, "csharp": _CSHARP}

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")
_RANGES = {"int32": 2**31, "int64": 2**63, "number": 2**53}


def check_response(client: str, shape: str, value: Any) -> Any:
    """Assert that ``value`` is a ``shape`` as ``client`` declares it; returns ``value``."""
    _check_kind(SHAPES[client], f"@{shape}", value, shape)
    return value


def _check_kind(shapes: dict[str, Shape], kind: Any, value: Any, where: str) -> None:
    assert value is not None, f"{where}: null"
    if isinstance(kind, list):
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for index, item in enumerate(value):
            _check_kind(shapes, kind[0], item, f"{where}[{index}]")
        return
    if kind == "@Person":
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        for key, item in value.items():
            expected = PERSON_KEYS.get(key, object)
            assert isinstance(item, dict if isinstance(expected, dict) else expected), where
        assert value["type"] in ("user", "bot", "role"), f"{where}: type {value.get('type')}"
        _check_kind(shapes, "int32", value["id"], f"{where}.id")  # C# Person.Id is int?
        return
    if kind.startswith("@"):
        _check_object(shapes, shapes[kind[1:]], value, where)
    elif kind in _RANGES:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{where}: {value!r}"
        if isinstance(value, int):
            assert -_RANGES[kind] <= value < _RANGES[kind], f"{where}: {value} beyond {kind}"
        else:
            assert kind == "number", f"{where}: {value!r} is not an integer"
    elif kind == "str":
        assert isinstance(value, str), f"{where}: {value!r} is not a string"
    elif kind == "bool":
        assert isinstance(value, bool), f"{where}: {value!r} is not a boolean"
    elif kind == "datetime":
        assert isinstance(value, str) and _DATETIME.match(value), f"{where}: {value!r}"
    elif kind == "date":
        assert isinstance(value, str) and _DATE.match(value), f"{where}: {value!r}"
    elif kind.startswith("enum:"):
        assert value in kind[5:].split("|"), f"{where}: {value!r} is not one of {kind[5:]}"
    else:
        assert kind == "any", kind


def _check_object(shapes: dict[str, Shape], shape: Shape, value: Any, where: str) -> None:
    assert isinstance(value, dict), f"{where}: {value!r} is not an object"
    for key, (kind, required) in shape.items():
        if key in value:
            _check_kind(shapes, kind, value[key], f"{where}.{key}")
        else:
            assert not required, f"{where}: {key} missing"
