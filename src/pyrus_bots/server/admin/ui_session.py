"""The web UI's sign-in session: an HMAC-signed cookie holding who signed in and a CSRF token.

The cookie carries a person id or the admin flag, a random CSRF token, the time it was issued
and, once signed in, a random session id that must also be open on the server
(``store.ui_sessions``): signing out closes it there, so a copied cookie stops working too.
It is signed with a key derived from the admin token when one is set (so several API processes
accept each other's cookies) and with a random per-process key otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.server.settings import Settings

COOKIE_NAME = "pyrus_bots_ui"
_STATE_KEY = "ui_session_key"


@dataclass(slots=True)
class UISession:
    """What the cookie says. ``dirty`` means the response must send the cookie again."""

    person_id: int | None = None
    admin: bool = False
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    issued: int = field(default_factory=lambda: int(time.time()))
    session_id: str | None = None
    dirty: bool = False

    @property
    def signed_in(self) -> bool:
        return self.person_id is not None or self.admin

    def sign_in_person(self, person_id: int) -> None:
        self._restart(person_id=person_id, admin=False)

    def sign_in_admin(self) -> None:
        self._restart(person_id=None, admin=True)

    def sign_out(self) -> None:
        self._restart(person_id=None, admin=False)

    def _restart(self, *, person_id: int | None, admin: bool) -> None:
        # A new CSRF token at every change of identity.
        self.person_id = person_id
        self.admin = admin
        self.csrf = secrets.token_urlsafe(18)
        self.issued = int(time.time())
        self.session_id = secrets.token_urlsafe(24) if person_id is not None or admin else None
        self.dirty = True

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, submitted or "")


def signing_key(request: Request, admin_token: str | None) -> bytes:
    if admin_token:
        return hashlib.sha256(b"pyrus-bots-ui-session\x00" + admin_token.encode()).digest()
    state = request.app.state
    key: bytes | None = getattr(state, _STATE_KEY, None)
    if key is None:
        key = secrets.token_bytes(32)
        setattr(state, _STATE_KEY, key)
    return key


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def encode_session(key: bytes, session: UISession) -> str:
    data: dict[str, Any] = {"p": session.person_id, "a": session.admin, "c": session.csrf}
    data["t"] = session.issued
    if session.session_id is not None:
        data["s"] = session.session_id
    payload = base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=")
    return f"{payload.decode()}.{_sign(key, payload)}"


def decode_session(
    key: bytes, cookie: str | None, max_age: float, now: float | None = None
) -> UISession | None:
    """The session in a cookie, or ``None`` when it is missing, forged or expired."""
    if not cookie or "." not in cookie:
        return None
    payload_text, _, signature = cookie.rpartition(".")
    payload = payload_text.encode()
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        session = UISession(
            person_id=int(data["p"]) if data.get("p") is not None else None,
            admin=bool(data.get("a")),
            csrf=str(data["c"]),
            issued=int(data["t"]),
            session_id=str(data["s"]) if data.get("s") is not None else None,
        )
    except (ValueError, KeyError, TypeError):
        return None
    if (now if now is not None else time.time()) - session.issued > max_age:
        return None
    return session


def load_session(request: Request, settings: Settings) -> UISession:
    found = decode_session(
        signing_key(request, settings.admin_token),
        request.cookies.get(COOKIE_NAME),
        settings.ui_session_max_age,
    )
    if found is None:
        return UISession(dirty=True)
    return found


def store_session(
    request: Request, response: Response, session: UISession, settings: Settings
) -> None:
    if not session.dirty:
        return
    response.set_cookie(
        COOKIE_NAME,
        encode_session(signing_key(request, settings.admin_token), session),
        max_age=settings.ui_session_max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/ui",
    )
