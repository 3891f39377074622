"""The UI's roles: everyone reads them; people with the right to manage roles (and the
administrator) create, rename, change the members of and delete roles.

Every change is the API's role request (``POST /roles``, ``PUT /roles/{id}``,
``DELETE /roles/{id}``) written by :mod:`pyrus_bots.server.tasks.role_changes`, the code those
calls run. A deleted role is kept for the tasks that name it and no longer listed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.protocol.models.people_requests import (
    CreateRoleRequest,
    DeleteRoleRequest,
    UpdateRoleRequest,
)
from pyrus_bots.server.admin.ui_context import FLASH_MESSAGES, UIContext, submitted_form, ui_context
from pyrus_bots.server.admin.ui_directory import holds
from pyrus_bots.server.admin.ui_directory_forms import (
    FormInputError,
    field_of,
    one,
    refusal_text,
    role_body,
)
from pyrus_bots.server.admin.ui_fields import Submitted
from pyrus_bots.server.admin.ui_views import full_name
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.tasks import role_changes
from pyrus_bots.server.workflow.state import Role

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

MANAGE_ROLES = "manage_roles"
REFUSED = "Only people with the right to manage roles may change roles."
ROLE_INPUTS = ("name", "member_add", "member_remove")

FLASH_MESSAGES.update(
    {
        "role-created": ("ok", "Role created."),
        "role-saved": ("ok", "Role saved."),
        "role-deleted": ("ok", "Role deleted: tasks that name it keep it."),
    }
)


def _refusal(ctx: UIContext, submitted: Submitted | None = None) -> Response | None:
    if ctx.viewer is None:
        return ctx.to_login()
    if not holds(ctx.viewer, MANAGE_ROLES):
        return ctx.forbidden(REFUSED)
    if submitted is not None and not ctx.csrf_ok(one(submitted, "csrf")):
        return ctx.bad_csrf()
    return None


def _role(ctx: UIContext, role_id: int) -> Role | None:
    role = ctx.directory.roles.get(role_id)
    return role if role is not None and not role.fired else None


def _people(ctx: UIContext) -> list[dict[str, Any]]:
    """Who can be a member: the organisation's people still active."""
    return [
        {"id": p.id, "name": full_name(p)}
        for p in sorted(ctx.directory.people.values(), key=lambda p: p.id)
        if p.type == "user" and not (p.banned or p.fired)
    ]


def _member_names(ctx: UIContext, role: Role) -> list[dict[str, Any]]:
    people = ctx.directory.people
    return [
        {"id": m, "name": full_name(people[m]) if m in people else f"#{m}"} for m in role.member_ids
    ]


@router.get("/roles")
async def roles_page(ctx: Ctx) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    roles = [
        {"id": r.id, "name": r.name, "banned": r.banned, "members": _member_names(ctx, r)}
        for r in sorted(ctx.directory.roles.values(), key=lambda r: r.id)
        if not r.fired
    ]
    return ctx.render(
        "roles.html",
        title="Roles",
        section="roles",
        roles=roles,
        can_manage=holds(ctx.viewer, MANAGE_ROLES),
    )


def _role_form(
    ctx: UIContext,
    role: Role | None,
    *,
    submitted: Submitted | None = None,
    error: PyrusError | FormInputError | None = None,
    status_code: int = 200,
) -> Response:
    field_errors: dict[str, str] = {}
    message = None
    if isinstance(error, FormInputError):
        field_errors[error.field] = str(error)
    elif isinstance(error, PyrusError):
        field = field_of(error, ROLE_INPUTS)
        if field is None:
            message = refusal_text(error)
        else:
            field_errors[field] = refusal_text(error)
    if field_errors:
        message = "The role was not saved: see the marked input."
    chosen = [v for v in (submitted or {}).get("member_add", [])]
    members = _member_names(ctx, role) if role is not None else []
    member_ids = {m["id"] for m in members}
    return ctx.render(
        "role.html",
        status_code=status_code,
        title=role.name if role is not None else "New role",
        section="roles",
        role=role,
        name=one(submitted, "name") if submitted is not None else (role.name if role else ""),
        members=members,
        removing=set((submitted or {}).get("member_remove", [])),
        candidates=[p for p in _people(ctx) if p["id"] not in member_ids],
        chosen=set(chosen),
        can_manage=holds(ctx.viewer, MANAGE_ROLES),
        field_errors=field_errors,
        error=message,
    )


@router.get("/roles/new")
async def new_role_page(ctx: Ctx) -> Response:
    return _refusal(ctx) or _role_form(ctx, None)


@router.post("/roles/new")
async def create_role(ctx: Ctx, request: Request) -> Response:
    submitted = await submitted_form(request)
    refusal = _refusal(ctx, submitted)
    if refusal is not None:
        return refusal
    try:
        body = parse_body(CreateRoleRequest, role_body(submitted, None))
        async with ctx.state.database.session() as db, db.begin():
            role = await role_changes.create_role(db, ctx.directory, body)
    except (FormInputError, PyrusError) as exc:
        return _role_form(ctx, None, submitted=submitted, error=exc, status_code=400)
    ctx.state.directories.invalidate()
    return ctx.redirect(f"/roles/{role.id}", done="role-created")


@router.get("/roles/{role_id}")
async def role_page(ctx: Ctx, role_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    role = _role(ctx, role_id)
    if role is None:
        return ctx.not_found(f"role {role_id}")
    return _role_form(ctx, role)


@router.post("/roles/{role_id}")
async def save_role(ctx: Ctx, role_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    refusal = _refusal(ctx, submitted)
    if refusal is not None:
        return refusal
    role = _role(ctx, role_id)
    if role is None:
        return ctx.not_found(f"role {role_id}")
    try:
        body = parse_body(UpdateRoleRequest, role_body(submitted, role))
        async with ctx.state.database.session() as db, db.begin():
            await role_changes.update_role(db, ctx.directory, role_id, body)
    except (FormInputError, PyrusError) as exc:
        return _role_form(ctx, role, submitted=submitted, error=exc, status_code=400)
    ctx.state.directories.invalidate()
    return ctx.redirect(f"/roles/{role_id}", done="role-saved")


@router.post("/roles/{role_id}/delete")
async def delete_role(ctx: Ctx, role_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    refusal = _refusal(ctx, submitted)
    if refusal is not None:
        return refusal
    role = _role(ctx, role_id)
    if role is None:
        return ctx.not_found(f"role {role_id}")
    try:
        async with ctx.state.database.session() as db, db.begin():
            await role_changes.delete_role(db, ctx.directory, role_id, DeleteRoleRequest())
    except PyrusError as exc:
        return _role_form(ctx, role, error=exc, status_code=400)
    ctx.state.directories.invalidate()
    return ctx.redirect("/roles", done="role-deleted")
