"""The admin token that guards ``/admin/api`` and ``/ui`` (DESIGN.md 3.3).

With a token configured, a request must present it as ``Authorization: Bearer <token>``, the
``X-Admin-Token`` header or the ``pyrus_bots_admin`` cookie; never in the query string (a URL
ends up in access logs, proxies and browser history). Wrong tokens are throttled per client
address (``api.sign_in_throttle``). Without a token, only a server that listens on loopback alone
lets requests through; ``serve`` refuses to listen wider without a token.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from fastapi import Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.sign_in_throttle import address_key, throttle_of
from pyrus_bots.server.settings import Settings

ADMIN_COOKIE = "pyrus_bots_admin"
ADMIN_HEADER = "X-Admin-Token"


def presented_token(request: Request) -> str | None:
    """The admin token the request carries, wherever it carries it."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for candidate in (
        request.headers.get(ADMIN_HEADER),
        request.cookies.get(ADMIN_COOKIE),
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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _served_hostnames(settings: Settings) -> set[str]:
    names = {settings.host.lower()}
    public = urlsplit(settings.base_url).hostname
    if public:
        names.add(public.lower())
    return names


def host_is_ours(request: Request, settings: Settings) -> bool:
    """Whether the ``Host`` header names this server: a loopback address or name, or the host
    it listens on or is published at. Trust without a token rests on loopback, and a foreign
    name there is DNS rebinding at work."""
    hostname = (urlsplit(f"//{request.headers.get('host', '')}").hostname or "").lower()
    return _is_loopback(hostname) or hostname in _served_hostnames(settings)


def refuse_cross_site(request: Request, settings: Settings) -> None:
    """403 ``access_denied`` for what a page on another site makes a browser send; 415 for a
    body that is not JSON."""
    host = request.headers.get("host", "")
    if settings.admin_token is None and not host_is_ours(request, settings):
        raise PyrusError("access_denied", "the Host header names no address of this server", 403)
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc.lower() != host.lower()
    ):
        raise PyrusError("access_denied", "changes from another site are refused", 403)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if has_body and not (content_type == "application/json" or content_type.endswith("+json")):
        raise PyrusError(
            "unsupported_media_type", "the admin API takes bodies as application/json", 415
        )


async def require_admin(request: Request) -> None:
    """FastAPI dependency: 401 ``authorization_error`` unless the caller may administer; 403
    or 415 for what only a browser on another site sends (:func:`refuse_cross_site`)."""
    settings: Settings = request.app.state.settings
    presented = presented_token(request)
    if settings.admin_token is not None and presented is not None:
        await check_admin_token(request, presented)
    elif not admin_allowed(settings, presented):
        raise PyrusError("authorization_error", "the admin token is missing or wrong", 401)
    refuse_cross_site(request, settings)


async def check_admin_token(request: Request, presented: str) -> None:
    """401 for a wrong admin token, counted against the client address; 429 while the address
    is blocked (checked before the token, so guesses made while blocked teach nothing)."""
    settings: Settings = request.app.state.settings
    throttle = throttle_of(request)
    keys = [address_key(request)]
    await throttle.check(keys)
    if not admin_allowed(settings, presented):
        await throttle.failed(keys)
        raise PyrusError("authorization_error", "the admin token is missing or wrong", 401)
