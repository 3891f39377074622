"""Every failure of the API becomes a Pyrus error: JSON ``{error, error_code}`` with its status.

This covers the errors the handlers raise (:class:`PyrusError`), the routing errors of the
framework (unknown path, wrong method), request validation of path and query parameters, and
unexpected exceptions (500 ``server_error``, details only in the log).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import describe_validation_errors
from pyrus_bots.server.api.responses import error_response, pyrus_error_response

log = logging.getLogger("pyrus_bots.server.api")

# Codes for framework-level failures that Pyrus itself has no code for (documented in docs/api.md).
_HTTP_STATUS_CODES = {
    404: ("not_found", "the requested path does not exist"),
    405: ("method_not_allowed", "this method is not allowed on this path"),
    413: ("too_large_request_length", "the request body is too large"),
}


def validation_error_code(errors: Sequence[Any]) -> str:
    """The Pyrus code for a list of pydantic/FastAPI validation errors (the first one decides)."""
    for error in errors:
        kind = str(error.get("type", "")) if isinstance(error, dict) else ""
        if kind == "json_invalid":
            return "invalid_json"
        if kind == "missing":
            return "required_parameter_missing"
    return "invalid_value_format"


async def _on_pyrus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PyrusError)
    response = pyrus_error_response(exc)
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_STATUS_CODES.get(exc.status_code, ("invalid_input", str(exc.detail)))
    return error_response(code, message, exc.status_code, headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return error_response(validation_error_code(errors), describe_validation_errors(errors), 400)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response("server_error", "internal server error", 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PyrusError, _on_pyrus_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
