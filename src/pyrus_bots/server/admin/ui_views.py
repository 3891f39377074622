"""What the UI's pages show, built from Pyrus JSON and domain objects: plain dicts for Jinja2.

Tasks and comments are read in their Pyrus JSON form (``workflow.render``), the same shapes the
API answers and the spec documents, so the UI shows exactly what a bot would see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from pyrus_bots.server.admin.ui_file_links import file_view
from pyrus_bots.server.workflow.state import Directory, FieldDef, FormDef, Person

MANAGE_BOTS_RIGHT = "manage_integrations_and_catalogs"


UTC_ZONE = ZoneInfo("UTC")


def format_time(value: datetime | str | None, zone: ZoneInfo = UTC_ZONE) -> str:
    """A timestamp the way the UI shows it, in the viewer's zone: ``2026-01-31 10:05:00 CET``."""
    if value is None or value == "":
        return ""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    assert isinstance(moment, datetime)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def full_name(person: Mapping[str, Any] | Person | None) -> str:
    if person is None:
        return "unknown"
    if isinstance(person, Person):
        first, last, email = person.first_name, person.last_name, person.email
    else:
        first = str(person.get("first_name") or "")
        last = str(person.get("last_name") or "")
        email = str(person.get("email") or person.get("id") or "")
    name = f"{first} {last}".strip()
    return name or email


def is_bot(person: Mapping[str, Any] | Person | None) -> bool:
    if person is None:
        return False
    if isinstance(person, Person):
        return person.type == "bot"
    return person.get("type") == "bot"


def person_label(directory: Directory, person_id: int) -> str:
    person = directory.people.get(person_id)
    return full_name(person) if person is not None else f"#{person_id}"


# --- field values -----------------------------------------------------------------------------


def field_display(field: Mapping[str, Any], zone: ZoneInfo = UTC_ZONE) -> str:
    """One field value of a task, in Pyrus JSON, as readable text ('' when empty)."""
    value = field.get("value")
    if value is None or value == "" or value == []:
        return ""
    kind = field.get("type")
    if kind in {"multiple_choice"} and isinstance(value, Mapping):
        return ", ".join(str(n) for n in value.get("choice_names") or [])
    if kind == "catalog" and isinstance(value, Mapping):
        rows = value.get("rows") or ([value["values"]] if value.get("values") else [])
        return "; ".join(" · ".join(str(c) for c in row) for row in rows)
    if kind in {"person", "author"} and isinstance(value, Mapping):
        return full_name(value)
    if kind == "file" and isinstance(value, list):
        return ", ".join(str(f.get("name", "")) for f in value if isinstance(f, Mapping))
    if kind == "table" and isinstance(value, list):
        rows = [r for r in value if isinstance(r, Mapping) and not r.get("deleted")]
        return f"{len(rows)} row{'' if len(rows) == 1 else 's'}"
    if kind == "title" and isinstance(value, Mapping):
        return str(value.get("checkmark") or "")
    if kind == "form_link" and isinstance(value, Mapping):
        ids = value.get("task_ids") or []
        return ", ".join(f"#{i}" for i in ids) or str(value.get("subject") or "")
    if kind == "project" and isinstance(value, Mapping):
        return ", ".join(str(p.get("name", "")) for p in value.get("projects") or [])
    if kind == "money" and isinstance(value, int | float):
        return f"{value:,.2f}"
    if kind == "due_date_time" and isinstance(value, str):
        value = format_time(value, zone)
    if kind in {"due_date", "due_date_time"} and field.get("duration"):
        return f"{value} ({field['duration']} min)"
    if isinstance(value, Mapping | list):
        return str(value)
    return str(value)


# --- tasks ------------------------------------------------------------------------------------


def _step_names(task: Mapping[str, Any], form: FormDef | None) -> dict[int, str]:
    names = {int(s["step"]): str(s.get("name", "")) for s in task.get("steps") or []}
    if form is not None:
        for step in form.steps:
            names.setdefault(step.number, step.name)
    return names


def task_title(task: Mapping[str, Any], form: FormDef | None) -> str:
    """The subject, else (form tasks) the first filled text field, else the text or form name."""
    if task.get("subject"):
        return str(task["subject"])
    if form is not None:
        for field in task.get("fields") or []:
            if field.get("type") == "text" and field.get("value"):
                return str(field["value"])
    if task.get("text"):
        return str(task["text"])
    return form.name if form is not None else "Task"


def table_view(field: Mapping[str, Any], zone: ZoneInfo = UTC_ZONE) -> dict[str, Any]:
    """A table field's rows as a table: column names and each row's cells as text."""
    rows = [r for r in field.get("value") or [] if isinstance(r, Mapping) and not r.get("deleted")]
    names: dict[Any, str] = {}
    for row in rows:
        for cell in row.get("cells") or []:
            names.setdefault(cell.get("id"), str(cell.get("name") or f"column {cell.get('id')}"))
    return {
        "columns": list(names.values()),
        "rows": [
            [
                field_display(
                    next((c for c in row.get("cells") or [] if c.get("id") == i), {}), zone
                )
                for i in names
            ]
            for row in rows
        ],
    }


def task_view(
    task: Mapping[str, Any], form: FormDef | None, zone: ZoneInfo = UTC_ZONE
) -> dict[str, Any]:
    """The task page's header, fields and approvals from a rendered task."""
    names = _step_names(task, form)
    current = task.get("current_step")
    steps = []
    for index, approvals in enumerate(task.get("approvals") or []):
        number = index + 1
        steps.append(
            {
                "number": number,
                "name": names.get(number, f"Step {number}"),
                "current": number == current and not task.get("is_closed"),
                "approvals": [
                    {
                        "name": full_name(a.get("person")),
                        "is_bot": is_bot(a.get("person")),
                        "choice": a.get("approval_choice") or "waiting",
                    }
                    for a in approvals
                ],
            }
        )
    fields = [
        {
            "name": f.get("name", f"field {f.get('id')}"),
            "display": field_display(f, zone),
            "table": table_view(f, zone) if f.get("type") == "table" else None,
            "files": _files(f.get("value")) if f.get("type") == "file" else None,
        }
        for f in task.get("fields") or []
        if f.get("type") not in {"note"}
    ]
    return {
        "id": task["id"],
        "title": task_title(task, form),
        "text": task.get("text"),
        "form_name": form.name if form is not None else None,
        "step": current if form is not None else None,
        "step_name": names.get(current, "") if isinstance(current, int) else "",
        "is_closed": bool(task.get("is_closed")),
        "author": full_name(task.get("author")),
        "created": format_time(task.get("create_date"), zone),
        "modified": format_time(task.get("last_modified_date"), zone),
        "fields": fields,
        "steps": steps,
        "attachments": _every_file(task),
    }


def _every_file(task: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The task's files once each: those in its file fields, then its attachments."""
    found: dict[Any, dict[str, Any]] = {}
    for files in file_field_values(task.get("fields")).values():
        found.update((f["id"], f) for f in files)
    found.update((f["id"], f) for f in _files(task.get("attachments")))
    return list(found.values())


def _files(value: Any) -> list[dict[str, Any]]:
    return [file_view(f) for f in value or [] if isinstance(f, Mapping)]


def file_field_values(fields: Any) -> dict[str, list[dict[str, Any]]]:
    """The files of each file field of a rendered task (title sections included), by the
    field's input name ``f<ID>``."""
    found: dict[str, list[dict[str, Any]]] = {}
    for f in fields or []:
        value = f.get("value") if isinstance(f, Mapping) else None
        if f.get("type") == "file" and value:
            found[f"f{f.get('id')}"] = _files(value)
        elif f.get("type") == "title" and isinstance(value, Mapping):
            found.update(file_field_values(value.get("fields")))
    return found


def _people_in(groups: Iterable[Any]) -> list[tuple[str, int | None]]:
    """(name, step) of every person in an ``approvals_added``-like list of lists."""
    found: list[tuple[str, int | None]] = []
    for index, group in enumerate(groups):
        for entry in group if isinstance(group, list) else [group]:
            if not isinstance(entry, Mapping):
                continue
            person = entry.get("person", entry)
            step = entry.get("step") or index + 1
            found.append((full_name(person), step))
    return found


def comment_events(
    comment: Mapping[str, Any], step_names: Mapping[int, str], zone: ZoneInfo = UTC_ZONE
) -> list[str]:
    """What a comment did besides its text, one readable line each."""

    def step_label(number: Any) -> str:
        name = step_names.get(int(number), "") if isinstance(number, int) else ""
        return f"step {number}" + (f" ({name})" if name else "")

    lines: list[str] = []
    for update in comment.get("field_updates") or []:
        shown = field_display(update, zone)
        name = update.get("name") or f"field {update.get('id')}"
        lines.append(f"set {name} to {shown}" if shown else f"cleared {name}")
    choice = comment.get("approval_choice")
    if choice:
        step = comment.get("approval_step")
        lines.append(f"{choice}" + (f" {step_label(step)}" if step else ""))
    for key, verb in (
        ("approvals_added", "asked {} to approve {}"),
        ("approvals_rerequested", "asked {} again to approve {}"),
        ("approvals_removed", "removed {} from {}"),
    ):
        for name, step in _people_in(comment.get(key) or []):
            lines.append(verb.format(name, step_label(step)))
    if comment.get("reset_to_step"):
        lines.append(f"returned the task to {step_label(comment['reset_to_step'])}")
    if comment.get("changed_step"):
        lines.append(f"moved the task to {step_label(comment['changed_step'])}")
    action = comment.get("action")
    if action == "finished":
        lines.append("closed the task")
    elif action == "reopened":
        lines.append("reopened the task")
    if comment.get("reassigned_to"):
        lines.append(f"reassigned the task to {full_name(comment['reassigned_to'])}")
    for key, verb in (("participants_added", "added"), ("participants_removed", "removed")):
        for person in comment.get(key) or []:
            lines.append(f"{verb} participant {full_name(person)}")
    if comment.get("subject"):
        lines.append(f"changed the subject to “{comment['subject']}”")
    attachments = comment.get("attachments") or []
    if attachments:
        names = ", ".join(str(a.get("name", "")) for a in attachments if isinstance(a, Mapping))
        lines.append(f"attached {names}")
    return lines


def timeline(
    task: Mapping[str, Any], form: FormDef | None, zone: ZoneInfo = UTC_ZONE
) -> list[dict[str, Any]]:
    names = _step_names(task, form)
    return [
        {
            "id": c.get("id"),
            "author": full_name(c.get("author")),
            "is_bot": is_bot(c.get("author")),
            "date": format_time(c.get("create_date"), zone),
            "text": c.get("text") or c.get("formatted_text") or "",
            "events": comment_events(c, names, zone),
            "files": _files(c.get("attachments")),
        }
        for c in task.get("comments") or []
    ]


# --- workspace ----------------------------------------------------------------------------------


def field_details(field: FieldDef, directory: Directory) -> str:
    parts: list[str] = []
    if field.options:
        parts.append("options: " + ", ".join(o.value for o in field.options if not o.deleted))
    if field.catalog_id is not None:
        catalog = directory.catalogs.get(field.catalog_id)
        parts.append(f"catalog: {catalog.name if catalog else field.catalog_id}")
    if field.required_step:
        parts.append(f"required from step {field.required_step}")
    if field.immutable_step:
        parts.append(f"read-only from step {field.immutable_step}")
    if field.decimal_places is not None:
        parts.append(f"{field.decimal_places} decimal places")
    return "; ".join(parts)


def form_view(form: FormDef, directory: Directory) -> dict[str, Any]:
    return {
        "id": form.id,
        "name": form.name,
        "fields": [
            {
                "id": f.id,
                "name": f.name,
                "code": f.code,
                "type": f.type,
                "parent_id": f.parent_id,
                "details": field_details(f, directory),
            }
            for f in form.fields
        ],
        "steps": [
            {"name": s.name, "approvers": [person_label(directory, i) for i in s.approver_ids]}
            for s in form.steps
        ],
        "managers": [person_label(directory, i) for i in form.manager_ids],
        "members": [person_label(directory, i) for i in form.member_ids],
    }


def mask_secret(secret: str | None) -> str:
    """Never more than a hint that a key is set."""
    return "••••••••" if secret else "(not set)"


def pretty_json(text: str | bytes | None) -> str:
    """Indent JSON for the attempt log; anything else is shown as it came."""
    if text is None:
        return ""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        return orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return raw


def sorted_headers(
    headers: Mapping[str, str] | Sequence[Sequence[str]] | None,
) -> list[tuple[str, str]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else [(h[0], h[1]) for h in headers]
    return [(str(k), str(v)) for k, v in items]
