"""The UI's read-only workspace pages: forms with fields and steps, catalogs (people and roles are
in :mod:`.ui_directory`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.admin.ui_views import form_view
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.workflow import access
from pyrus_bots.server.workflow.state import FormDef

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]


def _visible(ctx: UIContext, form: FormDef) -> bool:
    """The administrator sees every form; a person the forms the API shows them."""
    person = ctx.viewer.person if ctx.viewer is not None else None
    return not form.deleted and (person is None or access.can_use_form(form, person))


@router.get("/forms")
async def forms_page(ctx: Ctx) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    forms = [
        {
            "id": f.id,
            "name": f.name,
            "field_count": len(f.fields),
            "steps": [s.name for s in f.steps],
        }
        for f in sorted(ctx.directory.forms.values(), key=lambda f: f.id)
        if _visible(ctx, f)
    ]
    return ctx.render("forms.html", title="Forms", section="forms", forms=forms)


@router.get("/forms/{form_id}")
async def form_page(ctx: Ctx, form_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    form = ctx.directory.forms.get(form_id)
    if form is None or form.deleted:
        return ctx.not_found(f"form {form_id}")
    if not _visible(ctx, form):
        # As the API answers (403 access_denied_form): a form restricted to its members.
        return ctx.forbidden(f"Form {form_id} is open to its managers and members only.")
    return ctx.render(
        "form.html", title=form.name, section="forms", form=form_view(form, ctx.directory)
    )


@router.get("/catalogs")
async def catalogs_page(ctx: Ctx) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    catalogs = [
        {
            "id": c.id,
            "name": c.name,
            "version": c.version,
            "headers": c.headers,
            "entries": [i for i in c.items if not i.deleted],
        }
        for c in sorted(ctx.directory.catalogs.values(), key=lambda c: c.id)
        if not c.deleted
    ]
    return ctx.render("catalogs.html", title="Catalogs", section="catalogs", catalogs=catalogs)
