"""The requests of the official clients that attach files (``tests/fixtures/clients/*/
files_url_and_versions.json``), and a download helper."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

CLIENTS = ("python", "csharp", "typescript")
FIXTURES = Path(__file__).parents[2] / "fixtures" / "clients"


def client_request(client: str, name: str, **values: Any) -> dict[str, Any]:
    """A request of ``files_url_and_versions.json`` with ``$ORIGIN``, ``$GUID`` and
    ``$ROOT_ID`` filled in."""
    data = json.loads((FIXTURES / client / "files_url_and_versions.json").read_text())

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if value == "$ROOT_ID":
            return values["root_id"]
        if value == "$GUID":
            return values["guid"]
        if isinstance(value, str) and value.startswith("$ORIGIN"):
            return values["origin"] + value.removeprefix("$ORIGIN")
        return value

    filled: dict[str, Any] = fill(copy.deepcopy(data[name]))
    return filled


def download(client: httpx.Client, file_id: int) -> bytes:
    response = client.get(f"/services/attachment?Id={file_id}")
    assert response.status_code == 200, response.text
    return response.content
