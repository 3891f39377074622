"""Tasks in the fake API: read, create, comment (text, field values, approvals, attachments,
close and reopen), roughly as Pyrus applies them."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.testing.fake_api.common import JSON, found, json_response, now, pyrus_error
from pyrus_bots.testing.fake_api.state import FakeState

# Keys of a create-task and of a comment request that the fake stores as given.
TASK_KEYS = (
    "text",
    "formatted_text",
    "subject",
    "due_date",
    "due",
    "duration",
    "parent_task_id",
    "list_ids",
    "scheduled_date",
)
COMMENT_KEYS = (
    "text",
    "formatted_text",
    "subject",
    "action",
    "due_date",
    "due",
    "duration",
    "spent_minutes",
    "channel",
    "edit_comment_id",
    "added_list_ids",
    "removed_list_ids",
)


def _entry(fake: FakeState, author: JSON, data: JSON, keys: tuple[str, ...]) -> JSON:
    """A new task or comment by ``author``, with the ``keys`` of the request copied over."""
    entry: JSON = {"id": fake._next_id(), "create_date": now(), "author": author}
    entry.update((key, data[key]) for key in keys if key in data)
    return entry


async def get_task(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response({"task": fake._task_or_403(request.path_params["task_id"])})


async def create_task(fake: FakeState, request: Request, body: Any) -> Response:
    data = body if isinstance(body, dict) else {}
    author: JSON = request.state.person
    task = _entry(fake, author, data, TASK_KEYS)
    if data.get("form_id") is not None:
        form = found(fake.forms, data["form_id"], "access_denied_form", "The form does not exist")
        task["form_id"] = form["id"]
        task["current_step"] = 1
        task["fields"] = [
            {k: v for k, v in field.items() if k in ("id", "type", "name", "code")}
            for field in form.get("fields", [])
        ]
        _apply_field_updates(task, data.get("fields") or [])
        task["approvals"] = [
            [{"person": fake._resolve_person(ref), "approval_choice": "waiting"} for ref in step]
            for step in data.get("approvals") or []
        ]
    elif not (data.get("text") or data.get("formatted_text")):
        raise pyrus_error("text_missing", "A simple task needs text")
    if data.get("responsible"):
        task["responsible"] = fake._resolve_person(data["responsible"])
    task["comments"] = [
        {"id": fake._next_id(), "create_date": task["create_date"], "author": author}
    ]
    task["last_modified_date"] = task["create_date"]
    fake.tasks[task["id"]] = task
    return json_response({"task": task})


async def comment_task(fake: FakeState, request: Request, body: Any) -> Response:
    task = fake._task_or_403(request.path_params["task_id"])
    data = body if isinstance(body, dict) else {}
    if data.get("text") and data.get("formatted_text"):
        raise pyrus_error("both_text_and_formatted_text_specified", "Give text or formatted_text")
    if data.get("due") and data.get("due_date"):
        raise pyrus_error("either_due_date_or_due_can_be_set", "Give due or due_date")
    author: JSON = request.state.person
    comment = _entry(fake, author, data, COMMENT_KEYS)
    if data.get("field_updates"):
        comment["field_updates"] = _apply_field_updates(task, data["field_updates"])
    if data.get("subject"):
        task["subject"] = data["subject"]
    if data.get("reassign_to"):
        task["responsible"] = comment["reassigned_to"] = fake._resolve_person(data["reassign_to"])
    if data.get("attachments"):
        comment["attachments"] = _attach(fake, task, data["attachments"])
    was_closed = bool(task.get("is_closed"))
    if data.get("approval_choice"):
        _apply_approval(fake, task, comment, author, str(data["approval_choice"]))
    if data.get("action") == "finished":
        task["is_closed"], task["close_date"] = True, comment["create_date"]
    elif data.get("action") == "reopened" or (was_closed and not data.get("skip_auto_reopen")):
        task["is_closed"] = False
        task.pop("close_date", None)
    task.setdefault("comments", []).append(comment)
    task["last_modified_date"] = comment["create_date"]
    task["last_note_id"] = comment["id"]
    fake._posted_comments.setdefault(task["id"], []).append(copy.deepcopy(data))
    return json_response({"task": task})


def _apply_field_updates(task: JSON, updates: list[Any]) -> list[JSON]:
    fields: list[JSON] = task.setdefault("fields", [])
    applied = []
    for update in updates:
        if not isinstance(update, Mapping):
            raise pyrus_error("field_identity_missing", "A field update must be an object")
        target = find_field(fields, update)
        if target is None:
            if update.get("id") is not None:
                raise pyrus_error("invalid_field_id", f"No field with id {update['id']}")
            if update.get("code") is not None:
                raise pyrus_error("invalid_field_code", f"No field with code {update['code']}")
            if update.get("name") is not None:
                raise pyrus_error("invalid_field_name", f"No field named {update['name']}")
            raise pyrus_error("field_identity_missing", "A field update needs an id, code or name")
        if "value" in update:
            if pyrus_json.is_empty(update["value"]):
                target.pop("value", None)
            else:
                target["value"] = copy.deepcopy(update["value"])
        applied.append(copy.deepcopy(target))
    return applied


def find_field(fields: list[JSON], update: Mapping[str, Any]) -> JSON | None:
    for field in fields:
        if (
            (update.get("id") is not None and field.get("id") == update["id"])
            or (
                update.get("id") is None
                and update.get("code") is not None
                and field.get("code") == update["code"]
            )
            or (
                update.get("id") is None
                and update.get("code") is None
                and update.get("name") is not None
                and field.get("name") == update["name"]
            )
        ):
            return field
        value = field.get("value")
        if field.get("type") == "title" and isinstance(value, dict):
            nested = find_field(value.get("fields") or [], update)
            if nested is not None:
                return nested
    return None


def _attach(fake: FakeState, task: JSON, attachments: list[Any]) -> list[JSON]:
    attached = []
    for item in attachments:
        guid = item if isinstance(item, str) else (item or {}).get("guid")
        if guid in fake._uploads:
            name, content = fake._uploads[guid]
            file_id = fake.add_file(name, content)
            attached.append(
                {
                    "id": file_id,
                    "name": name,
                    "size": len(content),
                    "md5": hashlib.md5(content).hexdigest(),
                    "version": 1,
                }
            )
        elif isinstance(item, Mapping) and item.get("attachment_id") in fake.files:
            name, content = fake.files[item["attachment_id"]]
            attached.append({"id": item["attachment_id"], "name": name, "size": len(content)})
        else:
            raise pyrus_error("unrecognized_attachment_id", "Unknown attachment")
    task.setdefault("attachments", []).extend(attached)
    return attached


def _apply_approval(fake: FakeState, task: JSON, comment: JSON, author: JSON, choice: str) -> None:
    if choice not in {"approved", "rejected", "acknowledged", "revoked"}:
        raise pyrus_error("validation_error", f"Unknown approval_choice {choice!r}")
    step = int(task.get("current_step") or 1)
    comment["approval_choice"] = choice
    comment["approval_step"] = step
    approvals: list[list[JSON]] = task.setdefault("approvals", [])
    while len(approvals) < step:
        approvals.append([])
    entries = approvals[step - 1]
    mine = next((e for e in entries if (e.get("person") or {}).get("id") == author.get("id")), None)
    if mine is None:
        mine = {"person": author}
        entries.append(mine)
    mine["approval_choice"] = "waiting" if choice == "revoked" else choice
    if choice == "approved" and all(e.get("approval_choice") == "approved" for e in entries):
        form = fake.forms.get(task.get("form_id") or -1, {})
        last_step = max([int(k) for k in form.get("steps", {})] + [len(approvals), 1])
        if step >= last_step:
            task["is_closed"], task["close_date"] = True, comment["create_date"]
        else:
            task["current_step"] = comment["changed_step"] = step + 1
    elif choice == "rejected":
        task["current_step"] = comment["reset_to_step"] = max(1, step - 1)
        for entry in approvals[task["current_step"] - 1]:
            entry["approval_choice"] = "waiting"
