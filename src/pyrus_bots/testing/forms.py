"""A form for tests: declared once, its template served by the fake API, its tasks delivered.

As on Pyrus, a delivered task lists every field of its form with its current value, and the form
template (``GET /v4/forms/{id}``) holds the rest: the options of a choice field, the catalog of a
catalog field. A bot that names a choice reads the template, so a test declares the form and
gives it to the fake API::

    form = make_form(321, fields={
        "u_amount": "money",
        "u_status": typed("multiple_choice", options=["New", "Approved", "Rejected"]),
    }, steps=["Automatic check", "Manager"])
    api = FakePyrusAPI()
    api.add_form(form)
    reply = await BotTester(bot, api=api).send(form.task({"u_amount": 1500, "u_status": "New"}))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyrus_bots.testing.deliveries import (
    TypedValue,
    choice_options,
    field_name,
    make_task,
    task_field,
)

__all__ = ["Form", "make_form"]


@dataclass(frozen=True, slots=True)
class Form:
    """A form declared with :func:`make_form`: its template (``to_pyrus()``, what
    ``FakePyrusAPI.add_form`` takes) and its tasks (:meth:`task`)."""

    id: int
    name: str
    fields: tuple[tuple[str, TypedValue, int], ...]  # (code, type and settings, field id)
    steps: tuple[str, ...]
    sub_fields: tuple[SubField, ...] = ()

    def to_pyrus(self) -> dict[str, Any]:
        """The form template as ``GET /v4/forms/{id}`` returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "steps": {str(number): name for number, name in enumerate(self.steps, start=1)},
            "fields": [
                _template_field(code, spec, field_id, self.sub_fields)
                for code, spec, field_id in self.fields
            ],
        }

    def task(
        self, values: Mapping[str, Any] | None = None, *, step: int = 1, **options: Any
    ) -> dict[str, Any]:
        """A task of this form on ``step`` as a delivery carries it: every field listed,
        ``values`` (by code; choices by name or id) set. ``options`` go to ``make_task``."""
        values = dict(values or {})
        known = {code for code, _, _ in self.fields} | {sub.code for sub in self.sub_fields}
        unknown = set(values) - known
        if unknown:
            raise KeyError(f"form {self.id} has no field {sorted(unknown)}")
        fields = [
            task_field(
                code,
                TypedValue(spec.type, values.get(code), spec.name, spec.options, field_id),
                field_id,
            )
            for code, spec, field_id in self.fields
        ]
        shown: set[str] = set()
        for entry in fields:
            value = entry.get("value")
            chosen = value.get("choice_ids") or [] if isinstance(value, Mapping) else []
            subs = [s for s in self.sub_fields if s.parent_id == entry["id"]]
            subs = [s for s in subs if s.option_id in chosen]
            if subs:  # as Pyrus delivers them: inside the choice, while the option is chosen
                nested = [s.task_field(values.get(s.code)) for s in subs]
                entry["value"] = {**entry["value"], "fields": nested}
                shown.update(s.code for s in subs)
        hidden = {s.code for s in self.sub_fields if s.code in values} - shown
        if hidden:
            raise ValueError(f"fields {sorted(hidden)} belong to options the task does not choose")
        return make_task(self.id, step=step, steps=len(self.steps), fields=fields, **options)


@dataclass(frozen=True, slots=True)
class SubField:
    """A sub-field of a choice field's option."""

    code: str
    spec: TypedValue
    id: int
    parent_id: int
    option_id: int

    def task_field(self, value: Any) -> dict[str, Any]:
        spec = self.spec
        typed_value = TypedValue(spec.type, value, spec.name, spec.options, self.id)
        return {**task_field(self.code, typed_value, self.id), "parent_id": self.parent_id}

    def template(self) -> dict[str, Any]:
        return {**_template_field(self.code, self.spec, self.id, ()), "parent_id": self.parent_id}


def make_form(
    form_id: int = 321,
    *,
    fields: Mapping[str, str | TypedValue],
    steps: int | Sequence[str] = 1,
    name: str = "Purchase request",
) -> Form:
    """Declare a form: ``fields`` maps codes to a type name (``"money"``) or to
    :func:`~pyrus_bots.testing.typed` for settings (``options`` of a choice field,
    ``catalog_id`` of a catalog field, ``option_fields`` of a choice field, ``name``, ``id``).
    Field ids count from 1 in the given order, as :func:`~pyrus_bots.testing.make_task`
    numbers them, then the sub-fields of options; ``steps`` is a count or the step names."""
    declared = tuple(
        (code, spec if isinstance(spec, TypedValue) else TypedValue(spec), index)
        for index, (code, spec) in enumerate(fields.items(), start=1)
    )
    numbered = tuple((code, spec, spec.id or index) for code, spec, index in declared)
    names = (
        tuple(f"Step {n}" for n in range(1, steps + 1)) if isinstance(steps, int) else tuple(steps)
    )
    return Form(form_id, name, numbered, names, _sub_fields(numbered))


def _sub_fields(numbered: tuple[tuple[str, TypedValue, int], ...]) -> tuple[SubField, ...]:
    """The sub-fields of options, numbered after the form's own fields."""
    next_id = max((field_id for _, _, field_id in numbered), default=0) + 1
    out: list[SubField] = []
    for _, spec, field_id in numbered:
        by_name = {text: choice_id for choice_id, text in choice_options(spec).items()}
        for option, sub_specs in (spec.option_fields or {}).items():
            if option not in by_name:
                raise KeyError(f"field {field_id} has no option {option!r}")
            for code, sub in sub_specs.items():
                sub = sub if isinstance(sub, TypedValue) else TypedValue(sub)
                out.append(SubField(code, sub, sub.id or next_id, field_id, by_name[option]))
                next_id = max(next_id, sub.id or next_id) + 1
    return tuple(out)


def _template_field(
    code: str, spec: TypedValue, field_id: int, sub_fields: Sequence[SubField]
) -> dict[str, Any]:
    info: dict[str, Any] = {"code": code}
    options = choice_options(spec)
    if spec.type == "multiple_choice":
        info["options"] = [
            {"choice_id": choice_id, "choice_value": text} for choice_id, text in options.items()
        ]
        for option in info["options"]:
            subs = [
                s.template()
                for s in sub_fields
                if s.parent_id == field_id and s.option_id == option["choice_id"]
            ]
            if subs:
                option["fields"] = subs
    if spec.catalog_id is not None:
        info["catalog_id"] = spec.catalog_id
    return {
        "id": field_id,
        "type": spec.type,
        "name": field_name(code, spec),
        "code": code,
        "info": info,
    }
