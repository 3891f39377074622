"""The UI's new-task page: a form task with every field of its form, or a simple task (text,
responsible, participants, due date), created as ``POST /v4/tasks`` creates it."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_create_task_request
from pyrus_bots.server.admin.ui_comment_form import CommentInputError, due_changes, person_ids
from pyrus_bots.server.admin.ui_context import (
    UIContext,
    int_or_none,
    submitted_form,
    ui_context,
    users_to_act_as,
)
from pyrus_bots.server.admin.ui_fields import FieldInputError, Submitted, field_inputs, field_values
from pyrus_bots.server.admin.ui_uploads import (
    Uploads,
    add_to_new_task,
    read_uploads,
    upload_inputs,
)
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.workflow import access
from pyrus_bots.server.workflow.state import FormDef, Person

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

SIMPLE_TASK = "simple"
"""The ``form`` value that asks for a simple task (no form)."""


def _forms_for(ctx: UIContext) -> list[FormDef]:
    viewer = ctx.viewer
    assert viewer is not None
    return [
        f
        for f in sorted(ctx.directory.forms.values(), key=lambda f: f.id)
        if not f.deleted and (viewer.person is None or access.can_use_form(f, viewer.person))
    ]


def _page(
    ctx: UIContext,
    chosen: str,
    *,
    values: Submitted,
    error: str | None = None,
    error_field: int | None = None,
    status_code: int = 200,
    uploads: Uploads | None = None,
) -> Response:
    viewer = ctx.viewer
    assert viewer is not None
    forms = _forms_for(ctx)
    form = next((f for f in forms if str(f.id) == chosen), None)
    acting = users_to_act_as(ctx.directory) if viewer.person is None else []
    chosen_actor = int_or_none((values.get("as_person") or [""])[0])
    return ctx.render(
        "task_new.html",
        status_code=status_code,
        title="New task",
        section="new",
        forms=forms,
        simple=chosen == SIMPLE_TASK,
        form={"id": form.id, "name": form.name, "steps": [s.name for s in form.steps]}
        if form
        else None,
        inputs=field_inputs(form, ctx.directory) if form else [],
        values=values,
        people=users_to_act_as(ctx.directory),
        people_to_act_as=acting,
        default_actor=chosen_actor or (int(acting[0]["id"]) if acting else None),
        error=error,
        error_field=error_field,
        **upload_inputs(ctx, uploads),
    )


@router.get("/tasks/new")
async def new_task_page(ctx: Ctx, form: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    return _page(ctx, form, values={})


def _actor(ctx: UIContext, submitted: Submitted) -> Person | None:
    """The signed-in person, or for the administrator the person chosen in the form."""
    viewer = ctx.viewer
    assert viewer is not None
    if viewer.person is not None:
        return viewer.person
    chosen = ctx.directory.people.get(int_or_none((submitted.get("as_person") or [""])[0]) or -1)
    return chosen if chosen is not None and chosen.type == "user" else None


def _simple_task(submitted: Submitted, zone: ZoneInfo) -> dict[str, Any]:
    body: dict[str, Any] = {"text": "".join(submitted.get("text", [])).strip()}
    responsible = person_ids(submitted, "responsible")
    if responsible:
        body["responsible"] = responsible[0]
    participants = person_ids(submitted, "participants")
    if participants:
        body["participants"] = participants
    body.update(due_changes(submitted, zone))
    return body


@router.post("/tasks/new")
async def create_task(ctx: Ctx, request: Request) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    submitted = await submitted_form(request)
    if not ctx.csrf_ok((submitted.get("csrf") or [""])[0]):
        return ctx.bad_csrf()
    chosen = (submitted.get("form") or [""])[0]
    form = next((f for f in _forms_for(ctx) if str(f.id) == chosen), None)
    if form is None and chosen != SIMPLE_TASK:
        return _page(ctx, "", values=submitted, error="Choose a form.", status_code=400)
    author = _actor(ctx, submitted)
    if author is None:
        return _page(
            ctx, chosen, values=submitted, error="Choose who creates the task.", status_code=400
        )
    uploads = await read_uploads(ctx, request, form, author.id)

    def refused(message: str, field_id: int | None = None) -> Response:
        return _page(
            ctx,
            chosen,
            values=submitted,
            error=message,
            error_field=field_id,
            status_code=400,
            uploads=uploads,
        )

    if uploads.errors:
        return refused("A file was not taken; the task was not created. See below.")
    try:
        if form is None:
            body = _simple_task(submitted, ctx.zone)
        else:
            fields = field_values(form, ctx.directory, submitted, zone=ctx.zone)
            body = {"form_id": form.id, "fields": fields}
        add_to_new_task(body, form, uploads)
        request_body = parse_create_task_request(body)
        async with ctx.state.database.session() as db, db.begin():
            task, _ = await task_changes.create_task(
                db, ctx.directory, author, request_body, ctx.state.clock.now()
            )
    except FieldInputError as exc:
        return refused(str(exc), exc.field_id)
    except CommentInputError as exc:
        return refused(str(exc))
    except PyrusError as exc:
        return refused(f"The task was not created: {exc.message} ({exc.code}).")
    ctx.state.on_deliveries()
    return ctx.redirect(f"/tasks/{task.id}", done="task-created")
