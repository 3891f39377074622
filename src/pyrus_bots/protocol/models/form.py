"""Form templates (spec 3.6): ``GET /forms/{id}`` and ``GET /forms``."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, field_validator

from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.fields import FormField
from pyrus_bots.protocol.models.person import Person

__all__ = ["FormTemplate", "FormsResponse", "find_field"]


def find_field(flat: list[FormField], key: int | str) -> FormField | None:
    """The first field of ``flat`` with id ``key`` (int), or else code, then name (str)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return next((f for f in flat if f.id == key), None)
    found = next((f for f in flat if f.field_code == key), None)
    return found or next((f for f in flat if f.name == key), None)


class FormTemplate(PyrusModel):
    """A form: its fields (with ``info``) and its steps, keyed by step number as a string."""

    id: int | None = None
    name: str | None = None
    steps: dict[str, str] = Field(default_factory=dict)
    fields: list[FormField] = Field(default_factory=list)
    deleted_or_closed: bool | None = None
    print_forms: list[Any] = Field(default_factory=list)
    business_owners: list[Person] = Field(default_factory=list)
    folder: list[str] = Field(default_factory=list)

    _flat_fields: list[FormField] | None = PrivateAttr(default=None)

    @field_validator("steps", mode="before")
    @classmethod
    def _step_numbers_as_text(cls, steps: Any) -> Any:
        # JSON object keys are text; code building a template may use step numbers.
        if isinstance(steps, dict):
            return {str(number): name for number, name in steps.items()}
        return steps

    def fields_flat(self) -> list[FormField]:
        """Every field, depth first: title children (``info.fields``), table columns
        (``info.columns``) and fields attached to options."""
        if self._flat_fields is None:
            flat: list[FormField] = []
            stack = list(reversed(self.fields))
            while stack:
                field = stack.pop()
                flat.append(field)
                if field.info is not None:
                    nested = [*field.info.fields, *field.info.columns]
                    for option in field.info.options:
                        nested.extend(option.fields)
                    stack.extend(reversed(nested))
            self._flat_fields = flat
        return self._flat_fields

    def field(self, key: int | str) -> FormField | None:
        """A field by id (int) or by code, then name (str), at any depth."""
        return find_field(self.fields_flat(), key)

    def step_name(self, step: int) -> str | None:
        """The name of a 1-based step number (numbers may have gaps)."""
        return self.steps.get(str(step))

    def step_numbers(self) -> list[int]:
        """The step numbers in order."""
        return sorted(int(number) for number in self.steps)


class FormsResponse(PyrusModel):
    """``GET /forms``."""

    forms: list[FormTemplate] = Field(default_factory=list)
