"""Task lists and the inbox (spec 4.7).

The platform has no list management: ``GET /lists`` answers an empty set and a list's tasks are
the visible tasks that carry its id in ``list_ids``. The inbox follows DESIGN.md 3.5.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.filters import TaskListRequest
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.server.api.body import json_body, parse_bool, parse_int, read_json_object
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import TaskState

router = APIRouter(tags=["lists"])

DEFAULT_LIST_ITEMS = 200
MAX_LIST_ITEMS = 20000
DEFAULT_INBOX_ITEMS = 50
MAX_INBOX_ITEMS = 1000

_DATE_FILTERS = (
    "modified_before",
    "modified_after",
    "created_before",
    "created_after",
    "closed_before",
    "closed_after",
)


def task_header(caller: Caller, task: TaskState) -> dict[str, Any]:
    return render_task(caller.directory, task, [], with_comments=False, files_url=caller.files_url)


@router.get("/lists", summary="Task lists (none are managed by the platform)")
async def lists(caller: CallerDep) -> PyrusJSONResponse:
    return PyrusJSONResponse({"lists": []})


def _date(params: dict[str, Any], key: str) -> datetime | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PyrusError("invalid_value_format", f"{key} must be a date-time string")
    try:
        return pyrus_json.parse_datetime(value)
    except ValueError:
        raise PyrusError("invalid_value_format", f"{key} must be YYYY-MM-DDThh:mm:ssZ") from None


def _keep(task: TaskState, list_id: PathId, params: dict[str, Any], archived: bool) -> bool:
    if list_id not in task.list_ids or (task.is_closed and not archived):
        return False
    bounds = {key: _date(params, key) for key in _DATE_FILTERS}
    checks = (
        (task.last_modified_date, bounds["modified_after"], bounds["modified_before"]),
        (task.create_date, bounds["created_after"], bounds["created_before"]),
        (task.close_date, bounds["closed_after"], bounds["closed_before"]),
    )
    for value, after, before in checks:
        if (after or before) and value is None:
            return False
        if value is not None and after is not None and value <= after:
            return False
        if value is not None and before is not None and value >= before:
            return False
    return True


async def _list_tasks(
    request: Request, caller: Caller, list_id: PathId, params: dict[str, Any]
) -> PyrusJSONResponse:
    item_count = parse_int(
        params.get("item_count", DEFAULT_LIST_ITEMS),
        "item_count",
        minimum=1,
        maximum=MAX_LIST_ITEMS,
    )
    archived = parse_bool(params.get("include_archived", False), "include_archived")
    for key in _DATE_FILTERS:
        _date(params, key)
    state = api_state(request)
    async with reading(state) as session:
        candidates = await task_store.list_tasks(session, person_id=caller.person.id)
    selected = [t for t in candidates if _keep(t, list_id, params, archived)]
    tasks = [task_header(caller, t) for t in selected[:item_count]]
    return PyrusJSONResponse({"tasks": tasks, "has_more": len(selected) > item_count})


@router.get("/lists/{list_id}/tasks", summary="Tasks of a list (filters in the query)")
async def list_tasks_get(list_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    return await _list_tasks(request, caller, list_id, dict(request.query_params))


@router.post(
    "/lists/{list_id}/tasks",
    summary="Tasks of a list (filters in the body)",
    openapi_extra=json_body(TaskListRequest, required=False),
)
async def list_tasks_post(
    list_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    params = await read_json_object(request, allow_empty=True)
    parse_body(TaskListRequest, params)  # checked by the model, read as filters
    return await _list_tasks(request, caller, list_id, params)


@router.get("/inbox", summary="Tasks waiting for the caller")
async def inbox(
    caller: CallerDep,
    request: Request,
    item_count: Annotated[int, Query(ge=1, le=MAX_INBOX_ITEMS)] = DEFAULT_INBOX_ITEMS,
    group_item_count: Annotated[int, Query(ge=1, le=MAX_INBOX_ITEMS)] = DEFAULT_INBOX_ITEMS,
) -> PyrusJSONResponse:
    state = api_state(request)
    async with reading(state) as session:
        waiting = await task_store.inbox(session, caller.person.id, limit=item_count + 1)
    tasks = [task_header(caller, t) for t in waiting[:item_count]]
    return PyrusJSONResponse({"tasks": tasks, "has_more": len(waiting) > item_count})
