"""The admin token that guards ``/admin/api`` and ``/ui`` (DESIGN.md 3.3).

With a token configured, a request must present it as ``Authorization: Bearer <token>``, the
``X-Admin-Token`` header, the ``pyrus_bots_admin`` cookie (set by the UI) or, for the first visit
from a browser, the ``admin_token`` query parameter. Without a token, only a server that listens
on loopback alone lets requests through; ``serve`` refuses to listen wider without a token.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.settings import Settings

ADMIN_COOKIE = "pyrus_bots_admin"
ADMIN_HEADER = "X-Admin-Token"
ADMIN_QUERY = "admin_token"


def presented_token(request: Request) -> str | None:
    """The admin token the request carries, wherever it carries it."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for candidate in (
        request.headers.get(ADMIN_HEADER),
        request.cookies.get(ADMIN_COOKIE),
        request.query_params.get(ADMIN_QUERY),
    ):
        if candidate:
            return candidate
    return None


def admin_allowed(settings: Settings, presented: str | None) -> bool:
    if settings.admin_token is None:
        return settings.loopback_only
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode(), settings.admin_token.encode())


async def require_admin(request: Request) -> None:
    """FastAPI dependency: 401 ``authorization_error`` unless the caller may administer."""
    settings: Settings = request.app.state.settings
    if not admin_allowed(settings, presented_token(request)):
        raise PyrusError("authorization_error", "the admin token is missing or wrong", 401)
