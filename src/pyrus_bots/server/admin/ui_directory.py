"""The UI's directory of people: everyone reads it; people with the right to manage persons of
the organisation (and the administrator) add people, change them and fire them.

Every change is the API's member request (``POST /members``, ``PUT /members/{id}``,
``DELETE /members/{id}``) written by :mod:`pyrus_bots.server.tasks.member_changes`, the code
those calls run: the same checks, the same error codes, shown beside the input they concern.
Roles are in :mod:`.ui_directory_roles`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.protocol.models.people_requests import (
    CreateMemberRequest,
    FirePersonRequest,
    UpdateMemberRequest,
)
from pyrus_bots.server.admin.ui_context import (
    FLASH_MESSAGES,
    UIContext,
    Viewer,
    int_or_none,
    submitted_form,
    ui_context,
)
from pyrus_bots.server.admin.ui_directory_forms import (
    RIGHTS,
    TEXT_INPUTS,
    FormInputError,
    drawn_values,
    field_of,
    member_body,
    one,
    person_values,
    refusal_text,
    submitted_values,
)
from pyrus_bots.server.admin.ui_fields import Submitted
from pyrus_bots.server.admin.ui_views import full_name
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.tasks import member_changes
from pyrus_bots.server.workflow.state import Person

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

MANAGE_PEOPLE = "manage_persons_in_organization"
REFUSED = "Only people with the right to manage persons of the organization may change people."
PERSON_INPUTS = (*TEXT_INPUTS, "department_id", "rights")

FLASH_MESSAGES.update(
    {
        "person-added": ("ok", "Person added."),
        "person-saved": ("ok", "Person saved."),
        "person-fired": ("ok", "Person fired: they can no longer sign in."),
    }
)


def holds(viewer: Viewer | None, right: str) -> bool:
    """Whether the viewer may do what ``right`` allows (the administrator may do everything)."""
    return viewer is not None and (
        viewer.admin or (viewer.person is not None and right in viewer.person.rights)
    )


def _refusal(ctx: UIContext, submitted: Submitted | None = None) -> Response | None:
    if ctx.viewer is None:
        return ctx.to_login()
    if not holds(ctx.viewer, MANAGE_PEOPLE):
        return ctx.forbidden(REFUSED)
    if submitted is not None and not ctx.csrf_ok(one(submitted, "csrf")):
        return ctx.bad_csrf()
    return None


def _users(ctx: UIContext) -> list[Person]:
    return sorted(
        (p for p in ctx.directory.people.values() if p.type == "user"), key=lambda p: p.id
    )


def _person(ctx: UIContext, person_id: int) -> Person | None:
    person = ctx.directory.people.get(person_id)
    return person if person is not None and person.type == "user" else None


@router.get("/people")
async def people_page(ctx: Ctx) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    people = [
        {
            "id": p.id,
            "name": full_name(p),
            "email": p.email,
            "position": p.position,
            "department": p.department_name or p.details.get("department_id") or "",
            "phone": p.phone,
            "rights": sorted(p.rights),
            "banned": p.banned,
            "fired": p.fired,
        }
        for p in _users(ctx)
    ]
    return ctx.render(
        "people.html",
        title="People",
        section="people",
        people=people,
        can_manage=holds(ctx.viewer, MANAGE_PEOPLE),
    )


def _person_form(
    ctx: UIContext,
    person: Person | None,
    *,
    submitted: Submitted | None = None,
    error: PyrusError | FormInputError | None = None,
    status_code: int = 200,
) -> Response:
    values = submitted_values(submitted) if submitted is not None else person_values(person)
    field_errors: dict[str, str] = {}
    message = None
    if isinstance(error, FormInputError):
        field_errors[error.field] = str(error)
    elif isinstance(error, PyrusError):
        field = field_of(error, PERSON_INPUTS)
        if field is None:
            message = refusal_text(error)
        else:
            field_errors[field] = refusal_text(error)
    if field_errors:
        message = "The person was not saved: see the marked input."
    receivers = [
        {"id": p.id, "name": full_name(p)}
        for p in _users(ctx)
        if person is not None and p.id != person.id and not (p.banned or p.fired)
    ]
    return ctx.render(
        "person.html",
        status_code=status_code,
        title=full_name(person) if person is not None else "New person",
        section="people",
        person=person,
        department_name=person.department_name if person is not None else None,
        values=values,
        drawn=drawn_values(submitted, person),
        rights=RIGHTS,
        can_manage=holds(ctx.viewer, MANAGE_PEOPLE),
        receivers=receivers,
        field_errors=field_errors,
        error=message,
    )


@router.get("/people/new")
async def new_person_page(ctx: Ctx) -> Response:
    return _refusal(ctx) or _person_form(ctx, None)


@router.post("/people/new")
async def add_person(ctx: Ctx, request: Request) -> Response:
    submitted = await submitted_form(request)
    refusal = _refusal(ctx, submitted)
    if refusal is not None:
        return refusal
    try:
        body = parse_body(CreateMemberRequest, member_body(submitted, None))
        async with ctx.state.database.session() as db, db.begin():
            person = await member_changes.add_member(db, ctx.directory, body)
    except (FormInputError, PyrusError) as exc:
        return _person_form(ctx, None, submitted=submitted, error=exc, status_code=400)
    ctx.state.directories.invalidate()
    return ctx.redirect(f"/people/{person.id}", done="person-added")


@router.get("/people/{person_id}")
async def person_page(ctx: Ctx, person_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    person = _person(ctx, person_id)
    if person is None:
        return ctx.not_found(f"person {person_id}")
    return _person_form(ctx, person)


@router.post("/people/{person_id}")
async def save_person(ctx: Ctx, person_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    refusal = _refusal(ctx, submitted)
    if refusal is not None:
        return refusal
    person = _person(ctx, person_id)
    if person is None:
        return ctx.not_found(f"person {person_id}")
    try:
        body = parse_body(UpdateMemberRequest, member_body(submitted, person))
        async with ctx.state.database.session() as db, db.begin():
            await member_changes.change_member(db, ctx.directory, person_id, body)
    except (FormInputError, PyrusError) as exc:
        return _person_form(ctx, person, submitted=submitted, error=exc, status_code=400)
    ctx.state.directories.invalidate()
    return ctx.redirect(f"/people/{person_id}", done="person-saved")


@router.post("/people/{person_id}/fire")
async def fire_person(ctx: Ctx, person_id: PathId, request: Request) -> Response:
    submitted = await submitted_form(request)
    refusal = _refusal(ctx, submitted)
    if refusal is not None:
        return refusal
    person = _person(ctx, person_id)
    if person is None:
        return ctx.not_found(f"person {person_id}")
    assert ctx.viewer is not None
    receiver = int_or_none(one(submitted, "task_receiver_id"))
    try:
        fired = FirePersonRequest(id=person_id, task_receiver_id=receiver)
        async with ctx.state.database.session() as db, db.begin():
            await member_changes.fire_member(
                db, ctx.directory, fired, actor_id=ctx.viewer.person_id
            )
    except PyrusError as exc:
        return _person_form(ctx, person, error=exc, status_code=400)
    ctx.state.directories.invalidate()
    return ctx.redirect(f"/people/{person_id}", done="person-fired")
