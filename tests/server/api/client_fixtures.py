"""The requests the official clients send, as transcribed in tests/fixtures/clients/<client>/
<name>.json: ``{"_about", "method", "path", "body"}``, where strings ``"{name}"`` (whole values
of the body, or parts of the path) stand for ids a test fills in."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parents[2] / "fixtures" / "clients"
CLIENTS = ("csharp", "typescript", "python")


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def has_call(client: str, name: str) -> bool:
    return (FIXTURES / client / f"{name}.json").is_file()


def client_call(client: str, name: str, **ids: Any) -> dict[str, Any]:
    """``{"method", "path", "body"}`` of a client's request, ids filled in."""
    call: dict[str, Any] = json.loads((FIXTURES / client / f"{name}.json").read_text())
    path = call["path"]
    for key, value in ids.items():
        path = path.replace(f"{{{key}}}", str(value))
    body = _fill(copy.deepcopy(call.get("body")), ids)
    return {"method": call["method"], "path": path, "body": body}


def client_body(client: str, name: str, **ids: Any) -> Any:
    return client_call(client, name, **ids)["body"]


def send(http: httpx.Client, client: str, name: str, **ids: Any) -> httpx.Response:
    """Send the request as the client does: the body as UTF-8 JSON, ``application/json``."""
    call = client_call(client, name, **ids)
    content = None if call["body"] is None else json.dumps(call["body"]).encode()
    headers = {"Content-Type": "application/json"} if content is not None else {}
    return http.request(call["method"], call["path"], content=content, headers=headers)
