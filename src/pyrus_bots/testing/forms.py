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

    def to_pyrus(self) -> dict[str, Any]:
        """The form template as ``GET /v4/forms/{id}`` returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "steps": {str(number): name for number, name in enumerate(self.steps, start=1)},
            "fields": [
                _template_field(code, spec, field_id) for code, spec, field_id in self.fields
            ],
        }

    def task(
        self, values: Mapping[str, Any] | None = None, *, step: int = 1, **options: Any
    ) -> dict[str, Any]:
        """A task of this form on ``step`` as a delivery carries it: every field listed,
        ``values`` (by code; choices by name or id) set. ``options`` go to ``make_task``."""
        values = dict(values or {})
        unknown = set(values) - {code for code, _, _ in self.fields}
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
        return make_task(self.id, step=step, steps=len(self.steps), fields=fields, **options)


def make_form(
    form_id: int = 321,
    *,
    fields: Mapping[str, str | TypedValue],
    steps: int | Sequence[str] = 1,
    name: str = "Purchase request",
) -> Form:
    """Declare a form: ``fields`` maps codes to a type name (``"money"``) or to
    :func:`~pyrus_bots.testing.typed` for settings (``options`` of a choice field,
    ``catalog_id`` of a catalog field, ``name``, ``id``). Field ids count from 1 in the
    given order, as :func:`~pyrus_bots.testing.make_task` numbers them; ``steps`` is a count
    or the step names."""
    declared = tuple(
        (code, spec if isinstance(spec, TypedValue) else TypedValue(spec), index)
        for index, (code, spec) in enumerate(fields.items(), start=1)
    )
    numbered = tuple((code, spec, spec.id or index) for code, spec, index in declared)
    names = (
        tuple(f"Step {n}" for n in range(1, steps + 1)) if isinstance(steps, int) else tuple(steps)
    )
    return Form(form_id, name, numbered, names)


def _template_field(code: str, spec: TypedValue, field_id: int) -> dict[str, Any]:
    info: dict[str, Any] = {"code": code}
    options = choice_options(spec)
    if spec.type == "multiple_choice":
        info["options"] = [
            {"choice_id": choice_id, "choice_value": text} for choice_id, text in options.items()
        ]
    if spec.catalog_id is not None:
        info["catalog_id"] = spec.catalog_id
    return {
        "id": field_id,
        "type": spec.type,
        "name": field_name(code, spec),
        "code": code,
        "info": info,
    }
