"""Request shaping around the API routes: extra slashes, body size limits, rate headers.

Clients spell some paths with a slash before the query (``/v4/contacts/?include_inactive=False``,
spec 4.6) or a doubled one (C#: ``/v4/tasks//comments``); answering those with a redirect would
make them resend, so API paths lose such slashes before routing. Bodies are counted as they
arrive so an oversize request stops early with 413 ``too_large_request_length`` whether or not
it declares its length. Query strings holding NUL are
refused (PostgreSQL cannot store such text). The rate decision of the caller dependency is added
to the response headers here, so error answers carry it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyrus_bots.server.api.ratelimit import RateDecision
from pyrus_bots.server.api.responses import error_response

RATE_LIMIT_STATE_KEY = "rate_limit"
"""Key in the request state where the caller's rate decision waits for the response headers."""

MAX_JSON_BODY_BYTES = 32 * 1024 * 1024  # catalogs of 15,000 items fit with room to spare
MAX_UPLOAD_BYTES = 512 * 1024 * 1024

API_PREFIXES = ("/v4/", "/api/v4/")
UPLOAD_SUFFIX = "/files/upload"
_REPEATED_SLASHES = re.compile("/{2,}")
UI_TASK_FORMS = "/ui/tasks/"
"""The UI's task forms (new task, comment) carry files: several uploads and the form's text."""
UI_TOO_LARGE_PAGE = (
    "<!doctype html><title>Too large</title><h1>The files are too large</h1>"
    "<p>The form with its files is over the size this server takes. Go back, remove the "
    "largest file and send the form again.</p>"
)


@dataclass(slots=True)
class BodyLimits:
    json_bytes: int = MAX_JSON_BODY_BYTES
    upload_bytes: int = MAX_UPLOAD_BYTES

    def for_path(self, path: str) -> int:
        if path.startswith(UI_TASK_FORMS):
            # Room for a file just over the upload limit, so the page can say which one it is.
            return self.upload_bytes + self.json_bytes
        return self.upload_bytes if path.endswith(UPLOAD_SUFFIX) else self.json_bytes


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit; renders as 413."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="the request body is too large")


class RequestShapeMiddleware:
    """Pure ASGI middleware in front of every route (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "//" in path:
            # The C# client joins its base URL and paths with an extra slash in places
            # (``/v4/tasks//comments`` for the bulk comments); an empty segment means nothing.
            collapsed = _REPEATED_SLASHES.sub("/", path)
            if collapsed.startswith(API_PREFIXES):
                scope = dict(scope, path=collapsed)
                path = collapsed
        if path.endswith("/") and path.startswith(API_PREFIXES):
            scope = dict(scope, path=path.rstrip("/"))
            path = scope["path"]
        if b"%00" in scope.get("query_string", b""):
            # PostgreSQL cannot store or compare text holding NUL: refuse it at the door.
            await error_response(
                "invalid_value_format", "query values must not contain NUL characters", 400
            )(scope, receive, send)
            return
        limit = self.limits.for_path(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            if path.startswith(UI_TASK_FORMS):
                await HTMLResponse(UI_TOO_LARGE_PAGE, status_code=413)(scope, receive, send)
                return
            await error_response("too_large_request_length", "the request body is too large", 413)(
                scope, receive, send
            )
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def send_with_rate_headers(message: Message) -> None:
            # The caller dependency leaves its rate decision in the request state; every
            # authenticated answer, errors included, reports it (spec 4.0).
            if message["type"] == "http.response.start":
                decision = state.get(RATE_LIMIT_STATE_KEY)
                if isinstance(decision, RateDecision):
                    headers = list(message.get("headers", []))
                    headers += [
                        (k.lower().encode(), v.encode()) for k, v in decision.headers().items()
                    ]
                    message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, counted_receive, send_with_rate_headers)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
