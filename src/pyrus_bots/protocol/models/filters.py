"""Filters of the task lists: a form's register (spec 4.3) and a list's tasks, as POST bodies.

Only the top-level types are declared; the filter grammar (``gt``/``lt`` prefixes, comma lists,
``fld<field id>`` keys for field values) is read by the server's register, so undeclared keys are
kept.
"""

from __future__ import annotations

from typing import Any, Literal

from pyrus_bots.protocol.models.parsing import StrictBody

__all__ = ["RegisterRequest", "TaskListRequest"]


class TaskListRequest(StrictBody):
    """Filters of ``POST /lists/{id}/tasks``, shared by the register."""

    include_archived: bool | str | None = None
    modified_before: str | None = None
    modified_after: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    closed_before: str | None = None
    closed_after: str | None = None
    item_count: int | None = None


class RegisterRequest(TaskListRequest):
    """Register filters; ``fld<field id>`` and ``id`` keys take the filter grammar of spec 4.3."""

    steps: list[int] | str | None = None
    task_ids: list[int] | str | None = None
    field_ids: list[int] | str | None = None
    format: Literal["json", "csv"] | None = None
    delimiter: str | None = None
    simple_format: bool | str | None = None
    """``true`` (Python, TypeScript) or ``"y"`` (C#): CSV that splits on the delimiter."""
    encoding: str | None = None
    """The CSV's charset: a codec name, or .NET's display name (``"Cyrillic (Windows)"``)."""
    due_filter: str | dict[str, Any] | None = None
    sort: str | None = None
    include_text: str | None = None
