"""Responses in Pyrus JSON: empty keys omitted, Pyrus dates, errors `{error, error_code}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError, status_for_code


class PyrusJSONResponse(Response):
    """Serializes the content with :func:`pyrus_json.dumps` (the only JSON writer of the API)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return pyrus_json.dumps(content)


def error_response(
    code: str,
    message: str,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> PyrusJSONResponse:
    """The Pyrus error shape with the status Pyrus answers that code with."""
    return PyrusJSONResponse(
        {"error": message, "error_code": code},
        status_code=status if status is not None else status_for_code(code),
        headers=headers,
    )


def pyrus_error_response(exc: PyrusError) -> PyrusJSONResponse:
    return error_response(exc.code, exc.message, exc.status)
