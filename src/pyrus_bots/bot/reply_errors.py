"""The errors a bot's reply raises in the bot, before anything is sent to Pyrus."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "FieldValueError",
    "ReplyError",
    "UnknownCatalogItemError",
    "UnknownChoiceError",
    "UnresolvedNameError",
]

_SHOWN_NAMES = 30
"""How many valid names an error lists (a catalog may hold 15,000 items)."""


class ReplyError(ValueError):
    """A bot reply breaks a Pyrus rule; raised in the bot before anything is sent."""


class FieldValueError(ReplyError):
    """A field update names no field of the task, or its value does not fit the field's type."""


class UnknownChoiceError(FieldValueError):
    """A multiple-choice field has no option with the name a reply gives.

    ``valid`` lists the option names of the form template (deleted options excluded)."""

    def __init__(self, field: str, name: str, valid: Sequence[str]) -> None:
        self.field = field
        self.name = name
        self.valid = list(valid)
        super().__init__(
            f"field {field} has no choice named {name!r}; valid names: {_listed(self.valid)}"
        )


class UnknownCatalogItemError(FieldValueError):
    """A catalog field's catalog has no item whose first column is the name a reply gives
    (or several have it). ``valid`` lists the item names of the catalog."""

    def __init__(self, field: str, name: str, valid: Sequence[str], *, ambiguous: bool = False):
        self.field = field
        self.name = name
        self.valid = list(valid)
        self.ambiguous = ambiguous
        what = "several items" if ambiguous else "no item"
        super().__init__(
            f"field {field}: the catalog has {what} named {name!r}; "
            f"valid names: {_listed(self.valid)}"
        )


class UnresolvedNameError(FieldValueError):
    """A choice name cannot be turned into a choice id: the form template could not be read.

    A delivered task carries a multiple-choice field's current value, not its options; the SDK
    reads them from ``GET /v4/forms/{id}`` with the delivery's token."""


def _listed(names: Sequence[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(repr(name) for name in names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown
