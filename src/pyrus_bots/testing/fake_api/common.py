"""What every part of the fake API shares: the JSON type, recorded calls and injected faults,
and small helpers for Pyrus answers and errors."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

from starlette.responses import Response

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError

__all__ = [
    "JSON",
    "Fault",
    "RecordedCall",
    "as_dict",
    "found",
    "id_list",
    "json_response",
    "now",
    "pyrus_error",
    "truthy",
]

JSON = dict[str, Any]
T = TypeVar("T")


class RecordedCall(NamedTuple):
    """One request the fake received. ``path`` includes the query string when there is one;
    ``json`` is the decoded JSON body (None for GET and multipart); ``headers`` are lower-cased
    and never include ``authorization``."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]


@dataclass
class Fault:
    method: str
    path: str
    status: int
    error_code: str
    times: int
    retry_after: float | None


def now() -> str:
    return pyrus_json.format_datetime(datetime.now(UTC))


def as_dict(value: Mapping[str, Any] | Any) -> JSON:
    """A deep copy of a dict, or the Pyrus JSON of a protocol model."""
    if isinstance(value, Mapping):
        return copy.deepcopy(dict(value))
    to_pyrus = getattr(value, "to_pyrus", None)
    if callable(to_pyrus):
        result = to_pyrus()
        if isinstance(result, dict):
            return result
    raise TypeError(f"expected a dict or a protocol model, got {type(value).__name__}")


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        pyrus_json.dumps(body), status, headers=dict(headers or {}), media_type="application/json"
    )


def pyrus_error(code: str, message: str, status: int | None = None) -> PyrusError:
    return PyrusError(code, message, status)


def id_list(value: Any) -> list[int]:
    """Ids given as a JSON list, a comma string or a single number."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [int(item) for item in value]
    return [int(part) for part in str(value).split(",") if part.strip()]


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "y", "1", "yes"}


def found(objects: Mapping[Any, T], key: Any, code: str, message: str) -> T:
    """``objects[key]``, or the Pyrus error for a missing (or invisible) object."""
    try:
        return objects[key]
    except KeyError:
        raise pyrus_error(code, message) from None
