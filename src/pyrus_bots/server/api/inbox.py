"""The caller's inbox, calendar and the tasks of an approver (spec 4.7, 4.2).

- ``GET /inbox``: ``tasks`` are the open tasks waiting for the caller (DESIGN.md 3.5), most
  recently changed first, at most ``item_count``; ``task_groups`` groups the same tasks by form
  (group ``id`` and ``name`` are the form's), at most ``group_item_count`` per group.
- ``GET /calendar``: open tasks whose deadline falls in ``[start_date_utc, end_date_utc]``, with
  their last comment; ``filter_mask`` bit 1 selects deadlines with a time (``due``), bit 2 those
  with a date only (``due_date``). Steps have no deadlines and tasks no reminders on the
  platform, so bits 4 and 8 add nothing; the platform has no meetings, so ``include_meetings``
  adds none. ``all_accessed_tasks`` widens the inbox to every task the caller sees.
- ``GET /tasksbyapprover/{person id}``: open tasks the caller sees where that person (or role)
  is an approver of some step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.calendar import CalendarFilter
from pyrus_bots.protocol.pyrus_json import parse_filter_date
from pyrus_bots.server.api.body import parse_bool, parse_int
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import TaskState

router = APIRouter(tags=["lists"])

DEFAULT_INBOX_ITEMS = 50
MAX_INBOX_ITEMS = 1000
INBOX_SCAN_LIMIT = 10_000
"""The most inbox tasks read to build the groups."""
DEFAULT_CALENDAR_ITEMS = 50
MAX_CALENDAR_ITEMS = 1000
DEFAULT_FILTER_MASK = (
    CalendarFilter.DUE | CalendarFilter.DUE_DATE | CalendarFilter.DUE_FOR_CURRENT_STEP
)


def _header(caller: Caller, task: TaskState) -> dict[str, Any]:
    return render_task(caller.directory, task, [], with_comments=False, files_url=caller.files_url)


def _count(request: Request, name: str, default: int, maximum: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":  # C# writes item_count= for a null count
        return default
    return parse_int(value, name, minimum=1, maximum=maximum)


async def waiting_for(session: AsyncSession, person_id: int) -> list[TaskState]:
    """The inbox of ``person_id``: open tasks waiting for them, most recently changed first."""
    return await task_store.inbox(session, person_id, limit=INBOX_SCAN_LIMIT)


def by_form(tasks: Iterable[TaskState]) -> list[tuple[int, list[TaskState]]]:
    """Tasks grouped by their form (form id order), each group in the order given."""
    groups: dict[int, list[TaskState]] = {}
    for task in tasks:
        if task.form_id is not None:
            groups.setdefault(task.form_id, []).append(task)
    return sorted(groups.items())


@router.get("/inbox", summary="Tasks waiting for the caller, also grouped by form")
async def inbox(caller: CallerDep, request: Request) -> PyrusJSONResponse:
    item_count = _count(request, "item_count", DEFAULT_INBOX_ITEMS, MAX_INBOX_ITEMS)
    group_count = _count(request, "group_item_count", DEFAULT_INBOX_ITEMS, MAX_INBOX_ITEMS)
    async with reading(api_state(request)) as session:
        waiting = await waiting_for(session, caller.person.id)
    groups = []
    for form_id, tasks in by_form(waiting):
        form = caller.directory.forms.get(form_id)
        groups.append(
            {
                "id": form_id,
                "name": form.name if form is not None else None,
                "has_more": len(tasks) > group_count,
                "tasks": [_header(caller, t) for t in tasks[:group_count]],
            }
        )
    content = {
        "tasks": [_header(caller, t) for t in waiting[:item_count]],
        "has_more": len(waiting) > item_count,
        "task_groups": groups,
    }
    return CollectionResponse(content, "tasks", "task_groups")


def _in_period(task: TaskState, mask: int, start: datetime | None, end: datetime) -> bool:
    due, due_date = task.due, task.due_date
    by_time = (
        mask & CalendarFilter.DUE
        and due is not None
        and (start is None or due >= start)
        and due <= end
    )
    by_date = (
        mask & CalendarFilter.DUE_DATE
        and due_date is not None
        and (start is None or due_date >= start.date())
        and due_date <= end.date()
    )
    return bool(by_time or by_date)


def _deadline(task: TaskState) -> tuple[str, int]:
    moment = task.due.isoformat() if task.due is not None else str(task.due_date)
    return moment, task.id


@router.get("/calendar", summary="Tasks by deadline in a period")
async def calendar(caller: CallerDep, request: Request) -> PyrusJSONResponse:
    query = request.query_params
    start = parse_filter_date(query.get("start_date_utc"), "start_date_utc")
    end = parse_filter_date(query.get("end_date_utc"), "end_date_utc")
    if end is None:
        raise PyrusError("required_parameter_missing", "end_date_utc is required")
    if start is not None and start > end:
        raise PyrusError("invalid_value_format", "start_date_utc is after end_date_utc")
    item_count = _count(request, "item_count", DEFAULT_CALENDAR_ITEMS, MAX_CALENDAR_ITEMS)
    all_accessed = parse_bool(query.get("all_accessed_tasks", False), "all_accessed_tasks")
    parse_bool(query.get("include_meetings", False), "include_meetings")
    mask = _count(request, "filter_mask", DEFAULT_FILTER_MASK, 0xF)
    async with reading(api_state(request)) as session:
        if all_accessed:
            candidates = await task_store.list_tasks(
                session, person_id=caller.person.id, is_closed=False
            )
        else:
            candidates = await task_store.inbox(session, caller.person.id, limit=INBOX_SCAN_LIMIT)
        due = sorted((t for t in candidates if _in_period(t, mask, start, end)), key=_deadline)
        rendered = []
        for task in due[:item_count]:
            last = await task_changes.task_comments(session, task.id, last_only=True)
            rendered.append(render_task(caller.directory, task, last, files_url=caller.files_url))
    return CollectionResponse({"tasks": rendered, "has_more": len(due) > item_count}, "tasks")


def _approver_ids(task: TaskState) -> Iterable[int]:
    return (approval.person_id for step in task.approvals for approval in step)


@router.get("/tasksbyapprover/{person_id}", summary="Open tasks with this person as an approver")
async def tasks_by_approver(
    person_id: PathId, caller: CallerDep, request: Request
) -> PyrusJSONResponse:
    directory = caller.directory
    if person_id not in directory.people and person_id not in directory.roles:
        raise PyrusError("invalid_person_id", f"person {person_id} does not exist")
    async with reading(api_state(request)) as session:
        visible = await task_store.list_tasks(session, person_id=caller.person.id, is_closed=False)
    tasks = [_header(caller, t) for t in visible if person_id in set(_approver_ids(t))]
    return CollectionResponse({"tasks": tasks, "has_more": False}, "tasks")
