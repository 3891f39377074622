"""Password reset by an administrator: the admin API and the People page of the UI.

A reset sets the given password (at least ``MIN_PASSWORD_LENGTH`` characters) or a generated
one, which the answer shows once; either way the person's open UI sessions end. Passwords are
for the web UI only: a person's security key stays the API secret and is not touched.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin.auth import require_admin
from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.context import ApiState, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store import ui_sessions
from pyrus_bots.server.store.passwords import (
    MIN_PASSWORD_LENGTH,
    generate_password,
    hash_password_async,
)


class PasswordReset(BaseModel):
    """Body of ``POST /admin/api/people/{id}/password``; without ``password`` one is generated."""

    model_config = ConfigDict(extra="forbid")
    password: str | None = None


async def reset_password(state: ApiState, person_id: int, password: str | None) -> str | None:
    """Set a person's password; returns it when it was generated. 404 for an unknown person."""
    generated = None
    if password is None:
        password = generated = generate_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PyrusError(
            "invalid_value_format",
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
        )
    password_hash = await hash_password_async(password)
    async with writing(state) as session:
        if not await people_store.set_password_hash(session, person_id, password_hash):
            raise PyrusError("not_found", f"there is no person {person_id}", 404)
        await ui_sessions.close_sessions_of(session, person_id)
    return generated


api_router = APIRouter(
    prefix="/admin/api",
    dependencies=[Depends(require_admin)],
    default_response_class=PyrusJSONResponse,
    tags=["admin"],
)


@api_router.post("/people/{person_id}/password", openapi_extra=json_body(PasswordReset))
async def reset_password_api(person_id: PathId, request: Request) -> PyrusJSONResponse:
    body = await read_body(request, PasswordReset, allow_empty=True)
    generated = await reset_password(api_state(request), person_id, body.password)
    answer: dict[str, object] = {"person_id": person_id}
    if generated is not None:
        answer["password"] = generated
    return PyrusJSONResponse(answer)


ui_router = APIRouter()


@ui_router.post("/people/{person_id}/password")
async def reset_password_ui(
    ctx: Annotated[UIContext, Depends(ui_context)],
    person_id: PathId,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    if not ctx.viewer.admin:
        return ctx.forbidden("Only the administrator resets passwords.")
    try:
        generated = await reset_password(ctx.state, person_id, None)
    except PyrusError:
        return ctx.not_found(f"person {person_id}")
    person = ctx.directory.people.get(person_id)
    return ctx.render(
        "password_reset.html",
        title="Password reset",
        section="people",
        person_email=person.email if person else str(person_id),
        password=generated,
    )
