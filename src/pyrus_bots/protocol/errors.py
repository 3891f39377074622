"""Pyrus API error codes and the exception that carries one.

Every error the platform answers is JSON ``{"error": text, "error_code": code}`` with the HTTP
status Pyrus uses for that code (spec section 4.8). Codes are stable; texts may change.
"""

from __future__ import annotations

from typing import Any

UNAUTHORIZED_CODES = frozenset(
    {
        "authorization_error",
        "token_not_specified",
        "revoked_token",
        "expired_token",
        "invalid_token",
        "account_blocked",
        "invalid_credentials",
        "invalid_application_id",
    }
)

FORBIDDEN_CODES = frozenset(
    {
        "access_denied_project",
        "access_denied_task",
        "access_denied_catalog",
        "access_denied_form",
        "access_denied_person",
        "access_denied_close_task",
        "access_denied_reopen_task",
        "access_denied_file_access_history",
        "access_denied_file",
        "access_denied_report",
        "access_denied",
        "access_denied_field",
        "file_is_missing",
    }
)

TOO_MANY_REQUESTS_CODES = frozenset({"too_many_requests", "task_delete_limit_exceeded"})

SERVER_ERROR_CODES = frozenset({"server_error"})


def status_for_code(code: str) -> int:
    """The HTTP status Pyrus answers with for an error code (400 unless listed otherwise)."""
    if code in UNAUTHORIZED_CODES:
        return 401
    if code in FORBIDDEN_CODES:
        return 403
    if code in TOO_MANY_REQUESTS_CODES:
        return 429
    if code in SERVER_ERROR_CODES:
        return 500
    return 400


class PyrusError(Exception):
    """A request broke a Pyrus rule: carries the error code, a readable message and the status."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else status_for_code(code)

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, "error_code": self.code}
