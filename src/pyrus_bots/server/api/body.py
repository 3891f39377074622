"""Reading request bodies and query parameters the way Pyrus clients send them.

Bodies are parsed with orjson whatever the Content-Type (clients in the wild send JSON as
``text/plain`` or without a type) and validated by their protocol model
(:mod:`pyrus_bots.protocol.models`), which is also what ``/openapi.json`` documents
(:func:`json_body`): a wrong type gets ``invalid_value_format`` naming the key, a broken Pyrus
rule its own code. What the values mean is left to the workflow engine and the store.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import check_storable, decode_object, parse_body

_Model = TypeVar("_Model", bound=BaseModel)

_TRUE = frozenset({"true", "1", "y", "yes", "on"})
_FALSE = frozenset({"false", "0", "n", "no", "off", ""})


async def read_json_object(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object; ``empty_body`` / ``invalid_json`` otherwise."""
    raw = await request.body()
    if allow_empty and not raw.strip():
        return {}
    data = decode_object(raw)
    check_storable(data, raw)
    return data


async def read_body(request: Request, model: type[_Model], *, allow_empty: bool = False) -> _Model:
    """The body as ``model``: ``empty_body``, ``invalid_json``, ``invalid_value_format``,
    ``required_parameter_missing`` or the code of a Pyrus rule of the model otherwise."""
    return parse_body(model, await read_json_object(request, allow_empty=allow_empty))


async def read_array(request: Request, model: type[_Model], *, maximum: int) -> list[_Model]:
    """A bulk body: a JSON array of 1 to ``maximum`` ``model`` objects (``items_count_out_of_
    range`` otherwise), each read like a single body."""
    raw = await request.body()
    if not raw.strip():
        raise PyrusError("empty_body", "the request body is empty")
    try:
        data = pyrus_json.loads(raw)
    except ValueError:
        raise PyrusError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, list):
        raise PyrusError("invalid_json", "the request body must be a JSON array")
    if not 1 <= len(data) <= maximum:
        raise PyrusError("items_count_out_of_range", f"1 to {maximum} items at once")
    check_storable(data, raw)
    return [parse_body(model, item) for item in data]


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body of this model."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": _inline_schema(model)}},
        }
    }


def json_array_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON array of ``model`` objects as the body."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _inline_schema(model)}}
            },
        }
    }


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with ``$defs`` references inlined (``openapi_extra`` has no
    place for definitions)."""
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


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
