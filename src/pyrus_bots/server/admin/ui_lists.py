"""The UI's task lists: the tree of lists a person sees (``GET /v4/lists``), each list's tasks
(``GET /v4/lists/{id}/tasks``), and the person's changes to them.

Reads and writes go through :mod:`pyrus_bots.server.tasks.list_changes`, the code of the API's
list calls: anyone creates a list (and manages it), its managers rename and delete it. A task is
put in or taken out of a list by a comment with ``added_list_ids`` / ``removed_list_ids``, as
``POST /v4/tasks/{id}/comments`` does. The administrator acts as the person chosen on the page
(``person``), since lists belong to people.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.list_requests import CreateListRequest, UpdateListRequest
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.protocol.models.requests import parse_comment_request
from pyrus_bots.server.admin.ui_context import (
    FLASH_MESSAGES,
    UIContext,
    int_or_none,
    submitted_form,
    ui_context,
)
from pyrus_bots.server.admin.ui_directory_forms import one, refusal_text
from pyrus_bots.server.admin.ui_fields import Submitted
from pyrus_bots.server.admin.ui_inbox import person_picker, viewed_person
from pyrus_bots.server.admin.ui_tasks import task_row
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.api.list_filters import list_task_filters, select_tasks
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.tasks import list_changes
from pyrus_bots.server.workflow import lists as list_rules
from pyrus_bots.server.workflow.lists import TaskListDef
from pyrus_bots.server.workflow.state import Person

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

FLASH_MESSAGES.update(
    {
        "list-created": ("ok", "List created."),
        "list-saved": ("ok", "List renamed."),
        "list-deleted": ("ok", "List deleted; its tasks stay."),
        "task-listed": ("ok", "Task added to the list."),
        "task-unlisted": ("ok", "Task taken out of the list."),
    }
)


def _branch(forest: list[tuple[TaskListDef, list[Any]]]) -> list[dict[str, Any]]:
    """The tree as nested dicts the template walks."""
    return [
        {"id": t.id, "name": t.name, "private": t.is_private, "children": _branch(c)}
        for t, c in forest
    ]


def _back(path: str, person: Person | None, ctx: UIContext) -> str:
    """``path`` keeping the administrator's choice of person."""
    assert ctx.viewer is not None
    if ctx.viewer.person is None and person is not None:
        return f"{path}?person={person.id}"
    return path


@router.get("/lists")
async def lists_page(ctx: Ctx, person: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return await _lists_page(ctx, viewed_person(ctx, person))


async def _lists_page(
    ctx: UIContext,
    whose: Person | None,
    *,
    name: str = "",
    parent: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    visible: list[TaskListDef] = []
    if whose is not None:
        async with ctx.state.database.reading() as db:
            visible = await list_changes.visible_lists(db, ctx.directory, whose, with_deleted=False)
    return ctx.render(
        "lists.html",
        status_code=status_code,
        title="Lists",
        section="lists",
        whose=whose,
        picker=person_picker(ctx, whose),
        tree=_branch(list_rules.tree(visible)),
        parents=sorted(visible, key=lambda t: t.name.lower()),
        name=name,
        parent=parent,
        name_error=error,
    )


def _acting(ctx: UIContext, submitted: Submitted) -> tuple[Person | None, Response | None]:
    """Who acts on a list form, or the answer that refuses the form."""
    if ctx.viewer is None:
        return None, ctx.to_login()
    if not ctx.csrf_ok(one(submitted, "csrf")):
        return None, ctx.bad_csrf()
    whose = viewed_person(ctx, one(submitted, "person"))
    if whose is None:
        return None, ctx.error_page(400, "Choose a person", "Choose whose lists to change.")
    return whose, None


@router.post("/lists/new")
async def create_list(ctx: Ctx, request: Request) -> Response:
    submitted = await submitted_form(request)
    whose, refusal = _acting(ctx, submitted)
    if refusal is not None or whose is None:
        return refusal or ctx.bad_csrf()
    name, parent = one(submitted, "name"), int_or_none(one(submitted, "parent_id"))
    try:
        body = parse_body(CreateListRequest, {"name": name, "parent_id": parent})
        async with ctx.state.database.session() as db, db.begin():
            created = await list_changes.create_list(db, ctx.directory, whose, body)
    except PyrusError as exc:
        return await _lists_page(
            ctx, whose, name=name, parent=parent, error=refusal_text(exc), status_code=400
        )
    return ctx.redirect(_back(f"/lists/{created.id}", whose, ctx), done="list-created")


@router.get("/lists/{list_id}")
async def list_page(ctx: Ctx, list_id: PathId, person: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return await _list_page(ctx, viewed_person(ctx, person), list_id)


async def _list_page(
    ctx: UIContext,
    whose: Person | None,
    list_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if whose is None:
        return await _lists_page(ctx, None)
    filters = list_task_filters({})  # as GET /v4/lists/{id}/tasks without a query
    async with ctx.state.database.reading() as db:
        try:
            task_list = await list_changes.visible_list(db, ctx.directory, whose, list_id)
        except PyrusError:
            return ctx.not_found(f"list {list_id} you can see")
        candidates = await list_changes.list_task_candidates(db, ctx.directory, whose, list_id)
    selected = select_tasks(candidates, filters)
    can_manage = list_rules.can_manage(ctx.directory, task_list, whose)
    errors = errors or {}
    # A manager's refusal is shown at its input; anyone else has no such input to show it by.
    hidden = None if can_manage else errors.get("name") or errors.get("delete")
    return ctx.render(
        "list.html",
        status_code=status_code,
        title=task_list.name,
        section="lists",
        whose=whose,
        picker=person_picker(ctx, whose),
        task_list=task_list,
        tasks=[task_row(ctx, t) for t in selected[: filters.item_count]],
        has_more=len(selected) > filters.item_count,
        can_manage=can_manage,
        values={"name": task_list.name, "task_id": ""} | (values or {}),
        errors=errors,
        error=hidden,
    )


@router.post("/lists/{list_id}")
async def rename_list(ctx: Ctx, list_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    whose, refusal = _acting(ctx, submitted)
    if refusal is not None or whose is None:
        return refusal or ctx.bad_csrf()
    name = one(submitted, "name")
    try:
        body = parse_body(UpdateListRequest, {"name": name})
        async with ctx.state.database.session() as db, db.begin():
            await list_changes.update_list(db, ctx.directory, whose, list_id, body)
    except PyrusError as exc:
        errors = {"name": refusal_text(exc)}
        return await _list_page(
            ctx, whose, list_id, values={"name": name}, errors=errors, status_code=400
        )
    return ctx.redirect(_back(f"/lists/{list_id}", whose, ctx), done="list-saved")


@router.post("/lists/{list_id}/delete")
async def delete_list(ctx: Ctx, list_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    whose, refusal = _acting(ctx, submitted)
    if refusal is not None or whose is None:
        return refusal or ctx.bad_csrf()
    try:
        async with ctx.state.database.session() as db, db.begin():
            await list_changes.delete_list(db, ctx.directory, whose, list_id)
    except PyrusError as exc:
        errors = {"delete": refusal_text(exc)}
        return await _list_page(ctx, whose, list_id, errors=errors, status_code=400)
    return ctx.redirect(_back("/lists", whose, ctx), done="list-deleted")


async def _comment_lists(
    ctx: UIContext, whose: Person, task_id: int, key: str, list_id: int
) -> None:
    """Put a task in a list or take it out: a comment by ``whose``, as the API's."""
    comment = parse_comment_request({key: [list_id]})
    async with ctx.state.database.session() as db, db.begin():
        await task_changes.comment_task(
            db, ctx.directory, task_id, whose, comment, ctx.state.clock.now()
        )
    ctx.state.on_deliveries()


@router.post("/lists/{list_id}/tasks")
async def add_task(ctx: Ctx, list_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    whose, refusal = _acting(ctx, submitted)
    if refusal is not None or whose is None:
        return refusal or ctx.bad_csrf()
    raw = one(submitted, "task_id").removeprefix("#")
    task_id = int_or_none(raw)
    try:
        if task_id is None or task_id < 1:
            raise PyrusError("invalid_value_format", f"“{raw}” is not a task number")
        await _comment_lists(ctx, whose, task_id, "added_list_ids", list_id)
    except PyrusError as exc:
        errors = {"task_id": refusal_text(exc)}
        return await _list_page(
            ctx, whose, list_id, values={"task_id": raw}, errors=errors, status_code=400
        )
    return ctx.redirect(_back(f"/lists/{list_id}", whose, ctx), done="task-listed")


@router.post("/lists/{list_id}/tasks/{task_id}/remove")
async def remove_task(ctx: Ctx, list_id: PathId, task_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    whose, refusal = _acting(ctx, submitted)
    if refusal is not None or whose is None:
        return refusal or ctx.bad_csrf()
    try:
        await _comment_lists(ctx, whose, task_id, "removed_list_ids", list_id)
    except PyrusError as exc:
        errors = {"task_id": refusal_text(exc)}
        return await _list_page(ctx, whose, list_id, errors=errors, status_code=400)
    return ctx.redirect(_back(f"/lists/{list_id}", whose, ctx), done="task-unlisted")
