"""The UI's inbox: the open tasks waiting for a person, grouped by form, as ``GET /v4/inbox``
selects them (:func:`pyrus_bots.server.api.inbox.waiting_for`, the same query).

A person sees their own inbox; the administrator, who is nobody of the directory, chooses whose
inbox to look at (``?person=<id>``), as the list pages do.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from pyrus_bots.server.admin.ui_context import UIContext, int_or_none, ui_context, users_to_act_as
from pyrus_bots.server.admin.ui_tasks import task_row
from pyrus_bots.server.api.inbox import by_form, waiting_for
from pyrus_bots.server.workflow.state import Person

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]


def viewed_person(ctx: UIContext, chosen: str | None) -> Person | None:
    """Whose inbox and lists a page shows: the signed-in person, or for the administrator the
    person chosen (None until one is)."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    if viewer.person is not None:
        return viewer.person
    person = ctx.directory.people.get(int_or_none(chosen) or -1)
    if person is None or person.type != "user" or person.banned or person.fired:
        return None
    return person


def person_picker(ctx: UIContext, person: Person | None) -> dict[str, Any] | None:
    """The administrator's choice of whose page to see (None for a signed-in person)."""
    assert ctx.viewer is not None
    if ctx.viewer.person is not None:
        return None
    return {"people": users_to_act_as(ctx.directory), "chosen": person.id if person else None}


@router.get("/inbox")
async def inbox_page(ctx: Ctx, person: str = "") -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    whose = viewed_person(ctx, person)
    groups: list[dict[str, Any]] = []
    total = 0
    if whose is not None:
        async with ctx.state.database.reading() as db:
            waiting = await waiting_for(db, whose.id)
        total = len(waiting)
        for form_id, tasks in by_form(waiting):
            form = ctx.directory.forms.get(form_id)
            groups.append(
                {
                    "name": form.name if form is not None else f"Form {form_id}",
                    "tasks": [task_row(ctx, t) for t in tasks],
                }
            )
        simple = [task_row(ctx, t) for t in waiting if t.form_id is None]
        if simple:
            groups.append({"name": "Simple tasks", "tasks": simple})
    return ctx.render(
        "inbox.html",
        title="Inbox",
        section="inbox",
        whose=whose,
        picker=person_picker(ctx, whose),
        groups=groups,
        total=total,
    )
