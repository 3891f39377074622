"""Security headers on every answer: no MIME sniffing anywhere, and for the web UI a
Content-Security-Policy (scripts and styles from this server only; htmx is served from it) and
no framing (clickjacking). A UI answer that sets its own policy or framing rule keeps it (a
file preview may be framed by the UI's own pages)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UI_PREFIX = "/ui"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_EVERY_ANSWER = [(b"x-content-type-options", b"nosniff")]
_UI_ANSWER = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = _EVERY_ANSWER + (_UI_ANSWER if scope["path"].startswith(UI_PREFIX) else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in present]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
