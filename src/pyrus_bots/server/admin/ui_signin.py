"""Sign-in to the web UI: people with their e-mail and security key, or the admin token.

A bot's login is refused: a bot login only ever gets API tokens (``POST /v4/auth``).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.store import people as people_store

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

BOT_LOGIN_REFUSED = (
    "This is a bot's login: a bot login only gets API tokens (POST /v4/auth), "
    "it cannot sign in to the web UI."
)


def _safe_next(target: str | None) -> str:
    """Only paths inside the UI: a sign-in never sends the browser elsewhere."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target[len("/ui") :]
    return "/"


@router.get("/login")
async def login_page(ctx: Ctx, next: str = "") -> Response:
    return ctx.render("login.html", title="Sign in", next_url=next, login_value="")


@router.post("/login")
async def login(
    ctx: Ctx,
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    login: Annotated[str, Form()] = "",
    security_key: Annotated[str, Form()] = "",
    admin_token: Annotated[str, Form()] = "",
) -> Response:
    def refuse(message: str, status_code: int = 401) -> Response:
        return ctx.render(
            "login.html",
            status_code=status_code,
            title="Sign in",
            error=message,
            next_url=next,
            login_value=login,
        )

    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    if admin_token:
        expected = ctx.admin_token
        if expected is None:
            return refuse(
                "This server has no admin token. On loopback without a token the UI needs no "
                "sign-in; sign in as a person to act as them."
            )
        if not hmac.compare_digest(admin_token.encode(), expected.encode()):
            return refuse("The admin token is wrong.")
        ctx.session.sign_in_admin()
        return ctx.redirect(_safe_next(next))
    if not login or not security_key:
        return refuse("Give your e-mail and your security key.", 400)
    async with ctx.state.database.session() as db:
        found = await people_store.find_credentials(db, login)
    if (found is not None and found[0].type == "bot") or login.strip().lower().startswith("bot@"):
        return refuse(BOT_LOGIN_REFUSED, 403)
    if found is None or not hmac.compare_digest(found[1].encode(), security_key.encode()):
        return refuse("Unknown e-mail or wrong security key.")
    person = found[0]
    if person.banned or person.fired:
        return refuse("This account is blocked.", 403)
    ctx.session.sign_in_person(person.id)
    return ctx.redirect(_safe_next(next))


@router.post("/logout")
async def logout(ctx: Ctx, csrf: Annotated[str, Form()] = "") -> Response:
    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    ctx.session.sign_out()
    return ctx.redirect("/login", done="signed-out")
