"""Reading request bodies and query parameters the way Pyrus clients send them.

Bodies are parsed with orjson whatever the Content-Type (clients in the wild send JSON as
``text/plain`` or without a type). A body's top-level shape is checked against its documented
model (:mod:`pyrus_bots.server.api.schemas`) so a wrong type gets ``invalid_value_format``
naming the key; the meaning of the values is left to the workflow engine and the store.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.errors import describe_validation_errors

_TRUE = frozenset({"true", "1", "y", "yes", "on"})
_FALSE = frozenset({"false", "0", "n", "no", "off", ""})


async def read_json_object(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object; ``empty_body`` / ``invalid_json`` otherwise."""
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise PyrusError("empty_body", "the request body is empty")
    try:
        data = pyrus_json.loads(raw)
    except ValueError:
        raise PyrusError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PyrusError("invalid_json", "the request body must be a JSON object")
    # NUL can only arrive escaped; the cheap byte test keeps the deep scan off the usual path.
    if b"\\u0000" in raw and _holds_nul(data):
        raise PyrusError("invalid_value_format", "text values must not contain NUL characters")
    return data


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character hides in any key or string (PostgreSQL cannot store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def check_shape(model: type[BaseModel], data: dict[str, Any]) -> None:
    """Raise ``invalid_value_format`` (or ``required_parameter_missing``) when ``data`` does not
    have the documented top-level types. The data itself is passed on unchanged."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        missing = any(e.get("type") == "missing" for e in errors)
        code = "required_parameter_missing" if missing else "invalid_value_format"
        raise PyrusError(code, describe_validation_errors(errors)) from None


def parse_bool(value: Any, name: str) -> bool:
    """A boolean as clients spell it: JSON true/false, ``True``/``False``, ``y``, ``1``..."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise PyrusError("invalid_value_format", f"{name} must be a boolean")


def parse_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, bool):
        raise PyrusError("invalid_value_format", f"{name} must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PyrusError("invalid_value_format", f"{name} must be an integer") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise PyrusError("invalid_value_format", f"{name} is out of range")
    return number
