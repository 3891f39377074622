"""Responses in Pyrus JSON: empty keys omitted, Pyrus dates, errors `{error, error_code}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
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


class CollectionResponse(PyrusJSONResponse):
    """A list answer whose top-level collections (``tasks``, ``lists``, ``announcements``...)
    are written even when empty, because the TypeScript client's types declare them required
    (DESIGN.md 4); every other empty value, nested ones included, stays omitted."""

    def __init__(self, content: Mapping[str, Any], *collections: str, status_code: int = 200):
        self.collections = collections
        super().__init__(content, status_code=status_code)

    def render(self, content: Any) -> bytes:
        body = pyrus_json.dumps(content)
        missing: dict[str, Any] = {
            key: {} if isinstance(content.get(key), Mapping) else []
            for key in self.collections
            if not content.get(key)
        }
        if not missing:
            return body
        written = pyrus_json.loads(body)
        # Keys in the order the content gives them, the empty collections in their place.
        keys = [*content, *(key for key in missing if key not in content)]
        kept = {key: written.get(key, missing.get(key)) for key in keys}
        return orjson.dumps({key: value for key, value in kept.items() if value is not None})
