"""``/v4/auth``: a login (a user's e-mail or a bot's ``bot@...``) and security key for a token.

The answer names this server as the API and files host (DESIGN.md 3.3), which the official
clients switch to after logging in (spec 8.1).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.account_requests import AuthRequest
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.context import ApiState, api_state, public_base
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.sign_in_throttle import account_key, address_key, throttle_of
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.store import people, tokens
from pyrus_bots.server.store.secrets import digests_match

router = APIRouter(tags=["auth"])


def _bad_credentials() -> PyrusError:
    return PyrusError("invalid_credentials", "the login or the security key is wrong")


async def issue_for_login(
    request: Request, state: ApiState, login: str, security_key: str
) -> dict[str, Any]:
    """Check the credentials and answer as Pyrus does: token, API URL, files URL. Failures are
    throttled per login and per client address (``sign_in_throttle``)."""
    throttle = throttle_of(request)
    keys = [account_key(login), address_key(request)]
    had_failures = await throttle.check(keys)
    async with state.database.session() as session:
        found = await people.find_credentials(session, login)
    if found is None or not digests_match(security_key, found[1]):
        await throttle.failed(keys)
        raise _bad_credentials()
    if had_failures:
        await throttle.succeeded(keys[0])
    async with writing(state) as session:
        person = found[0]
        if person.banned or person.fired:
            raise PyrusError("account_blocked", "the account is blocked")
        token = await tokens.issue_token(
            session, person.id, ttl=state.settings.token_ttl, now=state.clock.now()
        )
    base = public_base(request, state.settings)
    return {"access_token": token, "api_url": f"{base}/v4/", "files_url": f"{base}/"}


@router.post("/auth", summary="Log in (Pyrus POST form)", openapi_extra=json_body(AuthRequest))
async def auth_post(request: Request) -> PyrusJSONResponse:
    body = await read_body(request, AuthRequest)
    return PyrusJSONResponse(
        await issue_for_login(request, api_state(request), body.login, body.security_key)
    )


@router.get("/auth", summary="Log in (legacy GET form)")
async def auth_get(
    request: Request,
    login: Annotated[str, Query()],
    security_key: Annotated[str, Query()],
) -> PyrusJSONResponse:
    return PyrusJSONResponse(
        await issue_for_login(request, api_state(request), login, security_key)
    )
