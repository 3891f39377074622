"""Due dates and the schedule of a task: ``due_date``/``due``/``duration``/``cancel_due`` and
``scheduled_date``/``scheduled_datetime_utc``/``cancel_schedule`` of a comment or a new task.

A due date and a due time exclude each other (setting one clears the other and the duration);
``duration`` needs a due time, the request's or the task's.
"""

from __future__ import annotations

from datetime import date, datetime

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import format_date, format_datetime
from pyrus_bots.server.workflow.change import Change


def set_due(
    change: Change,
    due_date: date | None,
    due: datetime | None,
    duration: int | None,
    *,
    cancel: bool = False,
) -> None:
    task = change.task
    if cancel:
        task.due_date, task.due, task.duration = None, None, None
        change.body["cancel_due"] = True
    if duration is not None and due is None and task.due is None:
        raise PyrusError("due_missing", "duration needs due")
    if due_date is not None:
        task.due_date, task.due, task.duration = due_date, None, None
        change.body["due_date"] = format_date(due_date)
    if due is not None:
        task.due_date, task.due, task.duration = None, due, None
        change.body["due"] = format_datetime(due)
    if duration is not None:
        task.duration = duration
        change.body["duration"] = duration


def set_schedule(
    change: Change, on: date | None, at: datetime | None, *, cancel: bool = False
) -> None:
    task = change.task
    if cancel:
        task.scheduled_date, task.scheduled_datetime_utc = None, None
        change.body["cancel_schedule"] = True
    if on is not None:
        task.scheduled_date, task.scheduled_datetime_utc = on, None
        change.body["scheduled_date"] = format_date(on)
    if at is not None:
        task.scheduled_date, task.scheduled_datetime_utc = None, at
        change.body["scheduled_datetime_utc"] = format_datetime(at)
