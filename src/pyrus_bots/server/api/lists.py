"""Task lists (spec 4.7): read, create, change and delete lists, and the tasks a list holds.

Lists live in the database (:mod:`..store.task_lists`); who sees and manages one follows
:mod:`..workflow.lists`. A list that does not exist, is deleted or is not visible answers 400
``invalid_value_format`` everywhere (tasks naming one: ``add_task_to_list_forbidden``). Clients
call the bulk forms with a JSON array: ``PUT /lists/bulk`` creates, ``POST /lists/bulk``
changes, ``DELETE /lists/bulk`` deletes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.filters import TaskListRequest
from pyrus_bots.protocol.models.list_requests import (
    CreateListRequest,
    DeleteListRequest,
    UpdateListRequest,
)
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.server.api.body import (
    json_body,
    parse_bool,
    read_array,
    read_body,
    read_json_object,
)
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.list_filters import list_task_filters, select_tasks
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.tasks import list_changes
from pyrus_bots.server.workflow import lists as list_rules
from pyrus_bots.server.workflow.lists import TaskListDef
from pyrus_bots.server.workflow.render import render_task

router = APIRouter(tags=["lists"])

MAX_BULK_LISTS = 100


def render_list(task_list: TaskListDef, children: Sequence[Any] | None = None) -> dict[str, Any]:
    """A list as the clients declare it (``TaskList``; ``children`` only in the tree)."""
    rendered: dict[str, Any] = {
        "id": task_list.id,
        "parent_id": task_list.parent_id,
        "name": task_list.name,
        "color": task_list.color,
        "deleted": task_list.deleted,
        "list_type": task_list.list_type,
        "has_form": False,
        "manager_ids": task_list.manager_ids,
        "member_ids": task_list.member_ids,
        "version": task_list.version,
        "external_version": task_list.external_version,
        "external_id": task_list.external_id,
        "is_private": task_list.is_private,
    }
    if children:
        rendered["children"] = [render_list(child, grand) for child, grand in children]
    return rendered


def _flag(request: Request, name: str) -> bool:
    return parse_bool(request.query_params.get(name, False), name)


@router.get("/lists", summary="The lists the caller sees, as a tree")
async def lists(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    _flag(request, "with_forms")  # forms are not lists on the platform: nothing to add
    with_deleted = _flag(request, "with_deleted")
    async with reading(api_state(request)) as session:
        visible = await list_changes.visible_lists(
            session, caller.directory, caller.person, with_deleted=with_deleted
        )
    forest = list_rules.tree(visible)
    return CollectionResponse({"lists": [render_list(t, c) for t, c in forest]}, "lists")


@router.put(
    "/lists/bulk",
    summary="Create several lists (a JSON array)",
    openapi_extra=json_body(CreateListRequest),
)
async def create_lists(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    bodies = await read_array(request, CreateListRequest, maximum=MAX_BULK_LISTS)
    async with writing(api_state(request)) as session:
        created = [
            await list_changes.create_list(session, caller.directory, caller.person, body)
            for body in bodies
        ]
    return CollectionResponse({"lists": [render_list(t) for t in created]}, "lists")


@router.post(
    "/lists/bulk",
    summary="Change several lists (a JSON array, each with its id)",
    openapi_extra=json_body(UpdateListRequest),
)
async def update_lists(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    bodies = await read_array(request, UpdateListRequest, maximum=MAX_BULK_LISTS)
    if any(body.id is None for body in bodies):
        raise PyrusError("required_parameter_missing", "each list to change needs its id")
    async with writing(api_state(request)) as session:
        changed = [
            await list_changes.update_list(
                session, caller.directory, caller.person, body.id or 0, body
            )
            for body in bodies
        ]
    return CollectionResponse({"lists": [render_list(t) for t in changed]}, "lists")


@router.delete(
    "/lists/bulk",
    summary="Delete several lists (a JSON array of {id})",
    openapi_extra=json_body(DeleteListRequest),
)
async def delete_lists(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    bodies = await read_array(request, DeleteListRequest, maximum=MAX_BULK_LISTS)
    async with writing(api_state(request)) as session:
        for body in bodies:
            await list_changes.delete_list(session, caller.directory, caller.person, body.id)
    return PyrusJSONResponse({})


@router.put("/lists", summary="Create a list", openapi_extra=json_body(CreateListRequest))
async def create_list(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    body = await read_body(request, CreateListRequest)
    async with writing(api_state(request)) as session:
        created = await list_changes.create_list(session, caller.directory, caller.person, body)
    return PyrusJSONResponse(render_list(created))


@router.get("/lists/{list_id}", summary="A list with its children")
async def get_list(list_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    _flag(request, "with_forms")
    with_deleted = _flag(request, "with_deleted")
    async with reading(api_state(request)) as session:
        task_list = await list_changes.visible_list(
            session, caller.directory, caller.person, list_id, with_deleted=with_deleted
        )
        visible = await list_changes.visible_lists(
            session, caller.directory, caller.person, with_deleted=with_deleted
        )
    # The list as the root of its own tree.
    below = [t for t in visible if t.id != list_id]
    forest = list_rules.tree([replace(task_list, parent_id=None), *below])
    children = next((c for t, c in forest if t.id == list_id), [])
    return PyrusJSONResponse(render_list(task_list, children))


@router.post(
    "/lists/{list_id}", summary="Change a list", openapi_extra=json_body(UpdateListRequest)
)
async def update_list(list_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    body = await read_body(request, UpdateListRequest)
    if body.id is not None and body.id != list_id:
        raise PyrusError("invalid_value_format", "id in the body differs from the list in the path")
    async with writing(api_state(request)) as session:
        changed = await list_changes.update_list(
            session, caller.directory, caller.person, list_id, body
        )
    return PyrusJSONResponse(render_list(changed))


@router.delete("/lists/{list_id}", summary="Delete a list (its tasks stay)")
async def delete_list(list_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    async with writing(api_state(request)) as session:
        await list_changes.delete_list(session, caller.directory, caller.person, list_id)
    return PyrusJSONResponse({})


async def _list_tasks(
    request: Request, caller: Caller, list_id: int, params: dict[str, Any]
) -> PyrusJSONResponse:
    filters = list_task_filters(params)
    async with reading(api_state(request)) as session:
        candidates = await list_changes.list_task_candidates(
            session, caller.directory, caller.person, list_id
        )
    selected = select_tasks(candidates, filters)
    tasks = [
        render_task(caller.directory, t, [], with_comments=False, files_url=caller.files_url)
        for t in selected[: filters.item_count]
    ]
    has_more = len(selected) > filters.item_count
    return CollectionResponse({"tasks": tasks, "has_more": has_more}, "tasks")


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
