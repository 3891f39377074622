"""Errors the API client raises: the API said no, or no answer came at all.

Messages never carry a token or a security key: texts that come from the server are scrubbed
of every secret the client knows before they reach an exception.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrus_bots.protocol.errors import PyrusError

__all__ = ["PyrusAPIError", "PyrusTransportError", "redact"]

REDACTED = "***"
# Shorter "secrets" are test placeholders; replacing them would mangle every message.
MIN_SECRET_LENGTH = 4


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of a known secret replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    return text


class PyrusAPIError(PyrusError):
    """The Pyrus API answered with a non-2XX status.

    ``status`` is the HTTP status, ``code`` Pyrus's ``error_code`` (or ``http_<status>`` when the
    body was not a Pyrus error), ``message`` its ``error`` text, ``retry_after`` the seconds the
    server asked to wait (429), ``method`` and ``path`` the call that failed.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(code, message, status)
        self.method = method
        self.path = path
        self.retry_after = retry_after
        where = f", {method} {path}" if method else ""
        self.args = (f"{code}: {message} (HTTP {status}{where})",)


class PyrusTransportError(PyrusError):
    """No HTTP answer: the connection failed or timed out, after every allowed retry.

    ``code`` is ``timeout`` or ``connection_error``; ``status`` is 0 (there was no response).
    The httpx exception is chained as ``__cause__``.
    """

    def __init__(self, code: str, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(code, message, 0)
        self.method = method
        self.path = path
        self.args = (f"{code}: {message} ({method} {path})",)
