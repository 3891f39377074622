"""``GET /calendar`` (spec 4.7): tasks by their due date or time, with the last comment only."""

from __future__ import annotations

from enum import IntFlag

from pydantic import Field

from pyrus_bots.protocol.models.base import PyrusModel, RawJson
from pyrus_bots.protocol.models.task import TaskWithComments

__all__ = ["CalendarFilter", "CalendarResponse"]


class CalendarFilter(IntFlag):
    """Bits of ``filter_mask`` (the clients' default is 7: the first three)."""

    DUE = 0x1
    """Tasks whose deadline is a moment (``due``)."""
    DUE_DATE = 0x2
    """Tasks whose deadline is a date (``due_date``)."""
    DUE_FOR_CURRENT_STEP = 0x4
    """Tasks whose current step has a deadline in the period."""
    REMINDED = 0x8
    """Tasks with a reminder in the period."""


class CalendarResponse(PyrusModel):
    tasks: list[TaskWithComments] = Field(default_factory=list)
    has_more: bool | None = None
    meetings: list[RawJson] = Field(default_factory=list)
