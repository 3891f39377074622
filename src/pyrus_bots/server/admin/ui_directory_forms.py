"""The directory pages' forms as the API's member and role requests, and the API's refusals as
messages beside the inputs they concern.

A person's form sends every input and, as ``was:<input>``, what the page drew in it; only what
differs from the drawn value goes into the request, so a change made meanwhile through the API
to another input is not written back. Emptying the department id is the API's
``drop_department``.
"""

from __future__ import annotations

from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.enums import PersonRights
from pyrus_bots.server.admin.ui_fields import Submitted
from pyrus_bots.server.workflow.state import Person, Role

RIGHTS = tuple(flag.name.lower() for flag in PersonRights if flag.name)
"""Every person right, in the order of its PersonRights flag."""
TEXT_INPUTS = ("first_name", "last_name", "email", "position", "phone")
ID_LIMIT = 2**63


class FormInputError(ValueError):
    """An input holds what no request can carry; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def one(submitted: Submitted, name: str) -> str:
    values = submitted.get(name) or [""]
    return values[0].strip()


def ids(submitted: Submitted, name: str) -> list[int]:
    """Person ids chosen in a (multi-)select or checkboxes ``name``."""
    chosen = []
    for raw in submitted.get(name, []):
        text = raw.strip()
        if not text:
            continue
        if not text.isdigit() or int(text) >= ID_LIMIT:
            raise FormInputError(name, f"“{raw}” is not a person.")
        chosen.append(int(text))
    return chosen


def person_values(person: Person | None) -> dict[str, Any]:
    """What the person's form shows (empty for a new person)."""
    if person is None:
        return {name: "" for name in TEXT_INPUTS} | {"department_id": "", "rights": []}
    department = person.details.get("department_id")
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "position": person.position or "",
        "phone": person.phone or "",
        "department_id": "" if department is None else str(department),
        "rights": sorted(person.rights, key=RIGHTS.index),
    }


def submitted_values(submitted: Submitted, prefix: str = "") -> dict[str, Any]:
    """The person's form as it was sent (shown again when the change is refused); with
    ``prefix="was:"``, what the page had drawn in it."""
    values: dict[str, Any] = {name: one(submitted, prefix + name) for name in TEXT_INPUTS}
    values["department_id"] = one(submitted, prefix + "department_id")
    values["rights"] = [r for r in RIGHTS if r in submitted.get(prefix + "rights", [])]
    return values


def drawn_values(submitted: Submitted | None, current: Person | None) -> dict[str, Any]:
    """What the form showed before the person typed: its ``was:`` inputs, else ``current``."""
    if submitted is not None and current is not None and "was:email" in submitted:
        return submitted_values(submitted, "was:")
    return person_values(current)


def member_body(submitted: Submitted, current: Person | None) -> dict[str, Any]:
    """The ``POST /members`` (``current`` None) or ``PUT /members/{id}`` body the form asks for."""
    was = drawn_values(submitted, current)
    sent = submitted_values(submitted)
    unknown = set(submitted.get("rights", [])) - set(RIGHTS)
    if unknown:
        raise FormInputError("rights", f"Unknown right “{sorted(unknown)[0]}”.")
    body: dict[str, Any] = {
        name: sent[name] for name in TEXT_INPUTS if sent[name] != was[name] or current is None
    }
    if current is None:
        body = {name: value for name, value in body.items() if value}
        body.setdefault("email", "")
    department = sent["department_id"]
    if department != was["department_id"]:
        if not department:
            body["drop_department"] = True
        elif not department.isdigit() or int(department) >= ID_LIMIT:
            raise FormInputError("department_id", "A department id is a whole number.")
        else:
            body["department_id"] = int(department)
    if sent["rights"] != was["rights"]:
        body["rights"] = sent["rights"]
    return body


def role_body(submitted: Submitted, current: Role | None) -> dict[str, Any]:
    """The ``POST /roles`` (``current`` None) or ``PUT /roles/{id}`` body the form asks for."""
    name = one(submitted, "name")
    added = ids(submitted, "member_add")
    if current is None:
        return {"name": name, "member_add": added}
    body: dict[str, Any] = {}
    if name != current.name:
        body["name"] = name
    removed = ids(submitted, "member_remove")
    if added:
        body["member_add"] = [i for i in added if i not in current.member_ids]
    if removed:
        body["member_remove"] = removed
    return body


_FIELD_OF_CODE = {
    "invalid_email": "email",
    "non_unique_email": "email",
    "required_parameter_missing": "first_name",
}


def field_of(error: PyrusError, inputs: tuple[str, ...]) -> str | None:
    """The input a refusal concerns (None: the form as a whole)."""
    for name in inputs:
        if error.message.startswith(name) or f" {name}" in error.message.split(":")[0]:
            return name
    field = _FIELD_OF_CODE.get(error.code)
    return field if field in inputs else None


def refusal_text(error: PyrusError) -> str:
    return f"{error.message} ({error.code})"
