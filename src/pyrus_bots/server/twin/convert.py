"""API v4 objects -> the workspace file's objects (DESIGN.md 3.2), ids kept; no I/O.

What the API does not tell is left out or inferred: security keys never come (people and bots
get local ones), a step's approvers are inferred from the approvals of recent tasks
(:func:`infer_approvers`), form managers and members are not in the form template (the twin's
forms are open to every person).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyrus_bots.protocol import PersonRights
from pyrus_bots.protocol.models.catalog import Catalog
from pyrus_bots.protocol.models.directory import Bot
from pyrus_bots.protocol.models.fields import FormField
from pyrus_bots.protocol.models.form import FormTemplate
from pyrus_bots.protocol.models.person import Person, Role
from pyrus_bots.protocol.models.task import Task

__all__ = [
    "EVIDENCE_SHARE",
    "StepEvidence",
    "bot_spec",
    "catalog_spec",
    "form_spec",
    "infer_approvers",
    "person_spec",
    "role_spec",
]

EVIDENCE_SHARE = 0.5
"""An approver is inferred for a step when they are asked on at least this share of the recent
tasks that reached the step (people added by hand to one task stay out)."""


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Without empty and default values, so the file holds what matters."""
    return {k: v for k, v in data.items() if not (v is None or v is False or v == [] or v == "")}


def person_spec(person: Person, security_key: str) -> dict[str, Any]:
    rights = PersonRights(person.rights or 0).names() if person.rights else []
    return _clean(
        {
            "id": person.id,
            "email": person.email,
            "first_name": person.first_name or "",
            "last_name": person.last_name or "",
            "security_key": security_key,
            "rights": rights,
            "position": person.position,
            "department_name": person.department_name,
            "phone": person.phone,
            "banned": bool(person.banned),
            "fired": bool(person.fired),
            "external_id": person.external_id,
        }
    )


def bot_spec(bot: Bot, security_key: str, hook_url: str | None) -> dict[str, Any]:
    spec = _clean(
        {
            "id": bot.id,
            "name": bot.name or f"Bot {bot.id}",
            "login": bot.login,
            "security_key": security_key,
            "hook_url": hook_url,
            "settings": bot.bot_settings,
            "send_only_last_comment": bool(bot.send_only_last_comment),
            "description": bot.description,
            "locale": bot.locale,
            "time_zone_offset": bot.time_zone_offset,
            "external_id": bot.external_id,
        }
    )
    if bot.is_enabled is False:
        spec["enabled"] = False
    return spec


def role_spec(role: Role, known_ids: set[int]) -> dict[str, Any]:
    return _clean(
        {
            "id": role.id,
            "name": role.name or f"Role {role.id}",
            "members": [m for m in role.member_ids if m in known_ids],
            "banned": bool(role.banned),
        }
    )


def catalog_spec(catalog: Catalog) -> dict[str, Any]:
    headers = [h.name or f"Column {n}" for n, h in enumerate(catalog.catalog_headers, start=1)]
    items = [list(item.values) for item in catalog.items if not item.deleted]
    return _clean(
        {"id": catalog.catalog_id, "name": catalog.name or "", "headers": headers, "items": items}
    )


def _field_spec(found: FormField, form_ids: set[int], warnings: list[str]) -> dict[str, Any]:
    info = found.info
    spec: dict[str, Any] = {
        "id": found.id,
        "type": getattr(found.type, "value", found.type),
        "name": found.name or f"Field {found.id}",
        "code": found.code or (info.code if info else None),
    }
    if info is not None:
        linked = info.form_id
        if linked is not None and linked not in form_ids:
            warnings.append(f"field {found.id} links form {linked}, which is not pulled")
            linked = None
        spec.update(
            required_step=info.required_step,
            immutable_step=info.immutable_step,
            catalog_id=info.catalog_id,
            multiple_choice=bool(info.multiple_choice),
            decimal_places=info.decimal_places,
            form_id=linked,
            multiline=bool(info.multiline),
            text=(info.model_extra or {}).get("text"),
        )
        if found.type == "multiple_choice":
            spec["options"] = [
                _clean({"id": o.choice_id, "value": o.choice_value or "", "deleted": o.deleted})
                for o in info.options
            ]
        if info.fields:
            spec["fields"] = [_field_spec(f, form_ids, warnings) for f in info.fields]
        if info.columns:
            spec["columns"] = [_field_spec(f, form_ids, warnings) for f in info.columns]
    cleaned = _clean(spec)
    if found.type == "multiple_choice":
        cleaned.setdefault("options", [])
    return cleaned


@dataclass(slots=True)
class StepEvidence:
    """What the recent tasks say about who approves one step."""

    number: int
    name: str
    approvers: list[int] = field(default_factory=list)
    tasks_seen: int = 0
    """Recent tasks with approvals on this step."""

    @property
    def comment(self) -> str:
        if not self.tasks_seen:
            return "approvers unknown: no recent task reached this step"
        return f"approvers inferred from {self.tasks_seen} recent task(s)"


def infer_approvers(template: FormTemplate, tasks: Iterable[Task]) -> list[StepEvidence]:
    """Each step's approvers: those asked on at least :data:`EVIDENCE_SHARE` of the recent
    tasks that have approvals on that step, most often asked first."""
    numbers = template.step_numbers()
    seen: dict[int, int] = dict.fromkeys(numbers, 0)
    asked: dict[int, Counter[int]] = {n: Counter() for n in numbers}
    for task in tasks:
        for index, entries in enumerate(task.approvals):
            number = numbers[index] if index < len(numbers) else None
            ids = {a.person.id for a in entries if a.person is not None and a.person.id}
            if number is None or not ids:
                continue
            seen[number] += 1
            asked[number].update(ids)
    evidence = []
    for number in numbers:
        counts = asked[number]
        threshold = seen[number] * EVIDENCE_SHARE
        approvers = [pid for pid, n in counts.most_common() if n >= threshold]
        evidence.append(
            StepEvidence(number, template.step_name(number) or "", approvers, seen[number])
        )
    return evidence


def form_spec(
    template: FormTemplate,
    steps: Sequence[StepEvidence],
    form_ids: set[int],
    known_ids: set[int],
    warnings: list[str],
) -> dict[str, Any]:
    """The form with its steps; ``known_ids`` are the people, bots and roles pulled (approvers
    outside them are dropped with a warning)."""
    step_specs = []
    for step in steps:
        approvers = [a for a in step.approvers if a in known_ids]
        for missing in set(step.approvers) - set(approvers):
            warnings.append(
                f"form {template.id} step {step.number}: approver {missing} is not pulled"
            )
        step_specs.append({"name": step.name, "approvers": approvers, "_comment": step.comment})
    return _clean(
        {
            "id": template.id,
            "name": template.name or f"Form {template.id}",
            "fields": [_field_spec(f, form_ids, warnings) for f in template.fields],
            "steps": step_specs,
        }
    )
