"""The UI's task pages: the home page, the task list, one task followed live, new tasks and
comments or approvals written as a person."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request, parse_create_task_request
from pyrus_bots.server.admin.ui_context import UIContext, int_or_none, ui_context, users_to_act_as
from pyrus_bots.server.admin.ui_views import (
    FieldInputError,
    field_inputs,
    field_updates_from_form,
    task_title,
    task_view,
    timeline,
)
from pyrus_bots.server.api.forms import form_visible
from pyrus_bots.server.store import comments as comment_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.workflow import render
from pyrus_bots.server.workflow.state import FormDef, Person, TaskState

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

TASK_LIST_LIMIT = 200
APPROVAL_CHOICES = frozenset({"approved", "rejected", "acknowledged", "revoked"})


def _task_row(ctx: UIContext, task: TaskState) -> dict[str, Any]:
    form = ctx.directory.forms.get(task.form_id) if task.form_id is not None else None
    rendered = render.render_task(ctx.directory, task, [], with_comments=False)
    step_name = ""
    if form is not None and task.current_step and task.current_step <= len(form.steps):
        step_name = form.steps[task.current_step - 1].name
    return {
        "id": task.id,
        "title": task_title(rendered, form),
        "form_name": form.name if form else None,
        "step": task.current_step if form else None,
        "step_name": step_name,
        "is_closed": task.is_closed,
        "modified": rendered.get("last_modified_date", "").replace("T", " ").replace("Z", ""),
    }


@router.get("/")
async def home(ctx: Ctx) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    async with ctx.state.database.session() as db:
        if ctx.viewer.person is not None:
            tasks = await task_store.inbox(db, ctx.viewer.person.id, limit=20)
        else:
            tasks = await task_store.list_tasks(db, is_closed=False, limit=20, newest_first=True)
    return ctx.render(
        "home.html",
        title="Home",
        organization_name=ctx.directory.organization_name,
        inbox=[_task_row(ctx, t) for t in tasks],
        api_url=ctx.state.settings.base_url + "/v4/",
    )


@router.get("/tasks")
async def task_list(ctx: Ctx, form: str = "", step: str = "", state: str = "open") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    form_id, step_number = int_or_none(form), int_or_none(step)
    state = state if state in {"open", "closed", "all"} else "open"
    closed = None if state == "all" else state == "closed"
    async with ctx.state.database.session() as db:
        tasks = await task_store.list_tasks(
            db,
            form_id=form_id,
            step=step_number,
            is_closed=closed,
            person_id=ctx.viewer.person_id,
            limit=TASK_LIST_LIMIT,
            newest_first=True,
        )
    query = urlencode({"form": form_id or "", "step": step_number or "", "state": state})
    return ctx.render(
        "tasks.html",
        title="Tasks",
        section="tasks",
        tasks=[_task_row(ctx, t) for t in tasks],
        truncated=len(tasks) >= TASK_LIST_LIMIT,
        forms=sorted(ctx.directory.forms.values(), key=lambda f: f.id),
        filters={"form": form_id, "step": step_number, "state": state},
        query=query,
    )


def _actor(ctx: UIContext, as_person: str | None) -> Person | None:
    """Who a comment or a new task is written as: the signed-in person, or for the
    administrator the person chosen in the form."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    if viewer.person is not None:
        return viewer.person
    chosen = ctx.directory.people.get(int_or_none(as_person) or -1)
    if chosen is None or chosen.type != "user":
        return None
    return chosen


async def _task_page(
    ctx: UIContext, task_id: int, *, error: str | None = None, status_code: int = 200
) -> Response:
    viewer = ctx.viewer
    assert viewer is not None
    async with ctx.state.database.session() as db:
        try:
            if viewer.person is not None:
                task = await task_changes.load_visible_task(
                    db, ctx.directory, task_id, viewer.person
                )
            else:
                found = await task_store.get_task(db, task_id)
                if found is None:
                    return ctx.not_found(f"task #{task_id}")
                task = found
        except PyrusError:
            return ctx.error_page(
                403, "Not allowed", f"Task #{task_id} does not exist or you may not see it."
            )
        comments = await comment_store.get_comments(db, task_id)
    form = ctx.directory.forms.get(task.form_id) if task.form_id is not None else None
    rendered = render.render_task(ctx.directory, task, comments)
    view = task_view(rendered, form)
    people = users_to_act_as(ctx.directory) if viewer.person is None else []
    default_actor = _default_actor(task, people)
    return ctx.render(
        "task.html",
        status_code=status_code,
        title=f"#{task.id} {view['title']}",
        section="tasks",
        task=view,
        timeline=timeline(rendered, form),
        live=not task.is_closed,
        can_comment=True,
        people_to_act_as=people,
        default_actor=default_actor,
        error=error,
    )


def _default_actor(task: TaskState, people: list[dict[str, Any]]) -> int | None:
    """Preselect whoever the task waits on (else its author) in the administrator's form."""
    ids = {p["id"] for p in people}
    if task.current_step and task.current_step <= len(task.approvals) and not task.is_closed:
        for approval in task.approvals[task.current_step - 1]:
            if approval.choice == "waiting" and approval.person_id in ids:
                return approval.person_id
    return task.author_id if task.author_id in ids else None


@router.get("/tasks/new")
async def new_task_page(ctx: Ctx, form: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return _new_task_form(ctx, int_or_none(form), values={})


def _new_task_form(
    ctx: UIContext,
    form_id: int | None,
    *,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    viewer = ctx.viewer
    assert viewer is not None
    forms = [
        f
        for f in sorted(ctx.directory.forms.values(), key=lambda f: f.id)
        if _may_use_form(viewer.person, f)
    ]
    chosen = next((f for f in forms if f.id == form_id), None)
    inputs, skipped = field_inputs(chosen, ctx.directory) if chosen else ([], [])
    people = users_to_act_as(ctx.directory) if viewer.person is None else []
    return ctx.render(
        "task_new.html",
        status_code=status_code,
        title="New task",
        section="new",
        forms=forms,
        form={"id": chosen.id, "name": chosen.name, "steps": [s.name for s in chosen.steps]}
        if chosen
        else None,
        inputs=inputs,
        skipped=skipped,
        values=values,
        people_to_act_as=people,
        default_actor=int_or_none(values.get("as_person")) or _first_id(people),
        error=error,
    )


def _first_id(people: list[dict[str, Any]]) -> int | None:
    return int(people[0]["id"]) if people else None


def _may_use_form(person: Person | None, form: FormDef) -> bool:
    """What the API allows (``api.forms.form_visible``); the administrator uses every form."""
    return not form.deleted and (person is None or form_visible(form, person))


@router.post("/tasks/new")
async def create_task(ctx: Ctx, request: Request) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not ctx.csrf_ok(submitted.get("csrf")):
        return ctx.bad_csrf()
    form_id = int_or_none(submitted.get("form"))
    form = ctx.directory.forms.get(form_id or -1)
    if form is None:
        return _new_task_form(ctx, None, values=submitted, error="Choose a form.", status_code=400)
    author = _actor(ctx, submitted.get("as_person"))
    if author is None:
        return _new_task_form(
            ctx, form.id, values=submitted, error="Choose who creates the task.", status_code=400
        )
    try:
        fields = field_updates_from_form(form, ctx.directory, submitted)
    except FieldInputError as exc:
        return _new_task_form(ctx, form.id, values=submitted, error=str(exc), status_code=400)
    try:
        request_body = parse_create_task_request({"form_id": form.id, "fields": fields})
        async with ctx.state.database.session() as db, db.begin():
            task, _ = await task_changes.create_task(
                db, ctx.directory, author, request_body, ctx.state.clock.now()
            )
    except PyrusError as exc:
        return _new_task_form(
            ctx,
            form.id,
            values=submitted,
            error=f"The task was not created: {exc.message} ({exc.code}).",
            status_code=400,
        )
    ctx.state.on_deliveries()
    return ctx.redirect(f"/tasks/{task.id}", done="task-created")


@router.get("/tasks/{task_id}")
async def task_page(ctx: Ctx, task_id: int) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return await _task_page(ctx, task_id)


@router.post("/tasks/{task_id}/comments")
async def add_comment(
    ctx: Ctx,
    task_id: int,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    approval_choice: Annotated[str, Form()] = "",
    as_person: Annotated[str, Form()] = "",
) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    author = _actor(ctx, as_person)
    if author is None:
        return await _task_page(
            ctx, task_id, error="Choose who writes the comment.", status_code=400
        )
    body: dict[str, Any] = {}
    if text.strip():
        body["text"] = text.strip()
    if approval_choice:
        if approval_choice not in APPROVAL_CHOICES:
            return await _task_page(ctx, task_id, error="Unknown approval choice.", status_code=400)
        body["approval_choice"] = approval_choice
    if not body:
        return await _task_page(
            ctx, task_id, error="Write a comment or choose an approval.", status_code=400
        )
    try:
        comment = parse_comment_request(body)
        async with ctx.state.database.session() as db, db.begin():
            await task_changes.comment_task(
                db, ctx.directory, task_id, author, comment, ctx.state.clock.now()
            )
    except PyrusError as exc:
        return await _task_page(
            ctx,
            task_id,
            error=f"The comment was not added: {exc.message} ({exc.code}).",
            status_code=exc.status if 400 <= exc.status < 500 else 400,
        )
    ctx.state.on_deliveries()
    return ctx.redirect(f"/tasks/{task_id}", done="comment-added")
