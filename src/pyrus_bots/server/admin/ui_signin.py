"""Sign-in to the web UI: people with their e-mail and password, or the admin token.

A person's security key is an API secret (``POST /v4/auth``) and signs nobody in here. A person
without a password cannot sign in (an administrator sets one: ``people_passwords``). A bot's
login is refused: a bot login only ever gets API tokens. Failures are throttled per e-mail and
per client address (``api.sign_in_throttle``), shared with ``POST /v4/auth``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.api.sign_in_throttle import (
    TooManySignIns,
    account_key,
    address_key,
    throttle_of,
)
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store.passwords import DUMMY_HASH, password_matches_async

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
    password: Annotated[str, Form()] = "",
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
    throttle = throttle_of(ctx.request)
    if admin_token:
        expected = ctx.admin_token
        if expected is None:
            return refuse(
                "This server has no admin token. On loopback without a token the UI needs no "
                "sign-in; sign in as a person to act as them."
            )
        try:
            await throttle.check([address_key(ctx.request)])
        except TooManySignIns as exc:
            return _too_many(refuse, exc)
        if not hmac.compare_digest(admin_token.encode(), expected.encode()):
            await throttle.failed([address_key(ctx.request)])
            return refuse("The admin token is wrong.")
        await ctx.sign_in(None)
        return ctx.redirect(_safe_next(next))
    if not login or not password:
        return refuse("Give your e-mail and your password.", 400)
    if login.strip().lower().startswith("bot@"):
        return refuse(BOT_LOGIN_REFUSED, 403)
    keys = [account_key(login), address_key(ctx.request)]
    try:
        had_failures = await throttle.check(keys)
    except TooManySignIns as exc:
        return _too_many(refuse, exc)
    async with ctx.state.database.session() as db:
        found = await people_store.find_password_hash(db, login)
    # An unknown e-mail costs a hash check too, so timing does not tell which e-mails exist.
    matches = await password_matches_async(found[1] if found else DUMMY_HASH, password)
    if found is None or not matches:
        await throttle.failed(keys)
        return refuse("Unknown e-mail or wrong password.")
    if had_failures:
        await throttle.succeeded(keys[0])
    person = found[0]
    if person.banned or person.fired:
        return refuse("This account is blocked.", 403)
    await ctx.sign_in(person.id)
    return ctx.redirect(_safe_next(next))


def _too_many(refuse: Callable[[str, int], Response], exc: TooManySignIns) -> Response:
    answer = refuse(
        f"Too many failed sign-ins: try again in {exc.retry_after} seconds.", exc.status
    )
    answer.headers.update(exc.headers)
    return answer


@router.post("/logout")
async def logout(ctx: Ctx, csrf: Annotated[str, Form()] = "") -> Response:
    if not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    await ctx.sign_out()
    return ctx.redirect("/login", done="signed-out")
