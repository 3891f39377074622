"""Untrusted JSON bodies into request models: one decoding and one error format.

The SDK (a bot's reply checked before it is sent) and the server (API bodies, bot replies) parse
requests with these functions, so both answer a bad body with the same Pyrus error: the code
(``empty_body``, ``invalid_json``, ``required_parameter_missing``, ``invalid_value_format``, or
the code of a Pyrus rule a model checks) and a message that names where the problem is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.pyrus_json import loads

__all__ = [
    "MAX_JSON_DEPTH",
    "StrictBody",
    "as_pyrus_error",
    "check_storable",
    "decode_object",
    "describe_validation_errors",
    "parse_body",
]

_Model = TypeVar("_Model", bound=BaseModel)

MAX_JSON_DEPTH = 64
"""The deepest nesting of objects and arrays a request may have. Pyrus's own requests stay far
below it (a table cell's value inside a row inside a field update is 6 levels); deeper JSON only
strains the database (SQLite's JSON functions refuse it)."""


class StrictBody(PyrusModel):
    """A request body whose values are all JSON scalars and lists: read strictly (``"5"`` is
    not a number), undeclared keys kept."""

    model_config = ConfigDict(strict=True)


def decode_object(data: Any) -> dict[str, Any]:
    """A JSON object from raw JSON (bytes or text) or an already decoded value."""
    if isinstance(data, bytes | bytearray | memoryview | str):
        text = data if isinstance(data, str) else bytes(data)
        if not text.strip():
            raise PyrusError("empty_body", "the request body is empty")
        try:
            data = loads(text)
        except ValueError:
            raise PyrusError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PyrusError("invalid_json", "the request body must be a JSON object")
    return data


def check_storable(data: Any, raw: bytes | str | None = None) -> None:
    """Refuse what the platform cannot store, wherever the JSON came from (an API body, a bot's
    reply): a NUL character in any key or text (PostgreSQL cannot hold it) and nesting deeper
    than :data:`MAX_JSON_DEPTH`. ``raw``, the undecoded text, lets the usual body skip the walk:
    NUL can only arrive escaped, and a body with few brackets cannot be deep."""
    if raw is not None:
        text = raw.encode() if isinstance(raw, str) else raw
        might_hold_nul = b"\\u0000" in text
        might_be_deep = text.count(b"{") + text.count(b"[") > MAX_JSON_DEPTH
        if not (might_hold_nul or might_be_deep):
            return
    _walk(data, 1)


def _walk(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise PyrusError("invalid_value_format", "text values must not contain NUL characters")
        return
    if not isinstance(value, dict | list):
        return
    if depth > MAX_JSON_DEPTH:
        raise PyrusError("invalid_value_format", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(key, depth)
            _walk(item, depth + 1)
    else:
        for item in value:
            _walk(item, depth + 1)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """A readable summary that names where the problem is, never echoing the input values
    (they may carry personal data or secrets)."""
    parts: list[str] = []
    for error in list(errors)[:5]:
        if not isinstance(error, dict):
            continue
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


def as_pyrus_error(error: ValidationError) -> PyrusError:
    """``required_parameter_missing`` when a required key is absent, else
    ``invalid_value_format``."""
    errors = error.errors(include_input=False, include_url=False)
    missing = any(e.get("type") == "missing" for e in errors)
    code = "required_parameter_missing" if missing else "invalid_value_format"
    return PyrusError(code, describe_validation_errors(errors))


def parse_body(model: type[_Model], data: Any) -> _Model:
    """``data`` (raw or decoded JSON) as ``model``; every failure is a :class:`PyrusError`.
    Keys the model does not declare are kept (Pyrus tolerates them)."""
    try:
        return model.model_validate(decode_object(data))
    except ValidationError as error:
        raise as_pyrus_error(error) from None
