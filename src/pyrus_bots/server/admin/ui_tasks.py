"""The UI's task pages: the home page, the task list, one task followed live, and the comment
form by which a person acts on it (text, approval, fields, people, due date, close or reopen).
New tasks are in :mod:`.ui_task_new`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request
from pyrus_bots.server.admin.ui_comment_form import CommentInputError, FieldInputError, comment_body
from pyrus_bots.server.admin.ui_context import (
    UIContext,
    int_or_none,
    submitted_form,
    ui_context,
    users_to_act_as,
)
from pyrus_bots.server.admin.ui_fields import Submitted, field_inputs, task_inputs
from pyrus_bots.server.admin.ui_uploads import (
    Uploads,
    add_to_comment,
    read_uploads,
    upload_inputs,
)
from pyrus_bots.server.admin.ui_views import (
    file_field_values,
    full_name,
    task_title,
    task_view,
    timeline,
)
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.store import comments as comment_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.workflow import access, render
from pyrus_bots.server.workflow.state import Person, TaskState

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

TASK_LIST_LIMIT = 200


def task_row(ctx: UIContext, task: TaskState) -> dict[str, Any]:
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
        inbox=[task_row(ctx, t) for t in tasks],
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
        tasks=[task_row(ctx, t) for t in tasks],
        truncated=len(tasks) >= TASK_LIST_LIMIT,
        forms=sorted(ctx.directory.forms.values(), key=lambda f: f.id),
        filters={"form": form_id, "step": step_number, "state": state},
        query=query,
    )


def _actor(ctx: UIContext, as_person: str | None) -> Person | None:
    """Who a comment is written as: the signed-in person, or for the administrator the person
    chosen in the form."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    if viewer.person is not None:
        return viewer.person
    chosen = ctx.directory.people.get(int_or_none(as_person) or -1)
    if chosen is None or chosen.type != "user":
        return None
    return chosen


def _people_choices(ctx: UIContext) -> list[dict[str, Any]]:
    """Everyone a task can be given to or shared with: people and bots still active."""
    return [
        {"id": p.id, "name": full_name(p), "email": p.email, "is_bot": p.type == "bot"}
        for p in sorted(ctx.directory.people.values(), key=lambda p: p.id)
        if not (p.banned or p.fired)
    ]


def _approval_steps(ctx: UIContext, task: TaskState) -> list[dict[str, Any]]:
    """The steps on which the viewer may approve (the administrator: every step)."""
    viewer = ctx.viewer
    assert viewer is not None
    form = ctx.directory.forms.get(task.form_id) if task.form_id is not None else None
    steps = []
    for number, approvals in enumerate(task.approvals, start=1):
        mine = viewer.person is None or any(
            access.acts_for(ctx.directory, viewer.person.id, a.person_id) for a in approvals
        )
        if mine:
            name = form.steps[number - 1].name if form and number <= len(form.steps) else ""
            steps.append({"number": number, "name": name, "current": number == task.current_step})
    return steps


async def _task_page(
    ctx: UIContext,
    task_id: int,
    *,
    submitted: Submitted | None = None,
    error: str | None = None,
    error_field: int | None = None,
    status_code: int = 200,
    uploads: Uploads | None = None,
) -> Response:
    viewer = ctx.viewer
    assert viewer is not None
    async with ctx.state.database.reading() as db:  # the task and its comments agree
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
    view = task_view(rendered, form, ctx.zone)
    drawn, table_rows = task_inputs(rendered, ctx.zone)
    if submitted is not None:  # a refused form is shown again as it was sent
        drawn = {
            k.removeprefix("was:"): list(v) for k, v in submitted.items() if k.startswith("was:")
        }
    acting = users_to_act_as(ctx.directory) if viewer.person is None else []
    return ctx.render(
        "task.html",
        status_code=status_code,
        title=f"#{task.id} {view['title']}",
        section="tasks",
        task=view,
        timeline=timeline(rendered, form, ctx.zone),
        live=not task.is_closed,
        can_comment=True,
        people_to_act_as=acting,
        default_actor=_default_actor(task, acting),
        inputs=field_inputs(form, ctx.directory, step=task.current_step, table_rows=table_rows)
        if form
        else [],
        drawn=drawn,
        values=submitted if submitted is not None else drawn,
        people=_people_choices(ctx),
        approval_steps=_approval_steps(ctx, task),
        participants=[p for p in rendered.get("participants") or [] if "id" in p],
        subscribers=[s["person"] for s in rendered.get("subscribers") or [] if "person" in s],
        error=error,
        error_field=error_field,
        current_files=file_field_values(rendered.get("fields")),
        **upload_inputs(ctx, uploads),
    )


def _default_actor(task: TaskState, people: list[dict[str, Any]]) -> int | None:
    """Preselect whoever the task waits on (else its author) in the administrator's form."""
    ids = {p["id"] for p in people}
    if task.current_step and task.current_step <= len(task.approvals) and not task.is_closed:
        for approval in task.approvals[task.current_step - 1]:
            if approval.choice == "waiting" and approval.person_id in ids:
                return approval.person_id
    return task.author_id if task.author_id in ids else None


@router.get("/tasks/{task_id}")
async def task_page(ctx: Ctx, task_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return await _task_page(ctx, task_id)


@router.post("/tasks/{task_id}/comments")
async def add_comment(ctx: Ctx, task_id: PathId, request: Request) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    submitted = await submitted_form(request)
    if not ctx.csrf_ok((submitted.get("csrf") or [""])[0]):
        return ctx.bad_csrf()

    uploads: Uploads | None = None

    async def refused(message: str, status: int = 400, field: int | None = None) -> Response:
        return await _task_page(
            ctx,
            task_id,
            submitted=submitted,
            error=message,
            error_field=field,
            status_code=status,
            uploads=uploads,
        )

    author = _actor(ctx, (submitted.get("as_person") or [""])[0])
    if author is None:
        return await refused("Choose who writes the comment.")
    async with ctx.state.database.session() as db:
        task = await task_store.get_task(db, task_id)
    if task is None:
        return ctx.not_found(f"task #{task_id}")
    form = ctx.directory.forms.get(task.form_id) if task.form_id is not None else None
    uploads = await read_uploads(ctx, request, form, author.id)
    if uploads.errors:
        return await refused("A file was not taken; nothing was added. See below.")
    try:
        body = comment_body(submitted, ctx.directory, task, form, ctx.zone)
        add_to_comment(body, form, task, submitted, uploads)
    except FieldInputError as exc:
        return await refused(str(exc), field=exc.field_id)
    except CommentInputError as exc:
        return await refused(str(exc))
    if not body:
        return await refused("Write a comment, choose an approval or change something.")
    try:
        comment = parse_comment_request(body)
        async with ctx.state.database.session() as db, db.begin():
            await task_changes.comment_task(
                db, ctx.directory, task_id, author, comment, ctx.state.clock.now()
            )
    except PyrusError as exc:
        status = exc.status if 400 <= exc.status < 500 else 400
        return await refused(f"The comment was not added: {exc.message} ({exc.code}).", status)
    ctx.state.on_deliveries()
    return ctx.redirect(f"/tasks/{task_id}", done="comment-added")
