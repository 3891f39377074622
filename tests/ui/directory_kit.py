"""What the directory, inbox and list tests share: a demo workspace where Alice may manage
people and roles, and the API read back with a person's token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from ui_helpers import DEMO_WORKSPACE, LiveServer

MANAGER_RIGHTS = (
    "rights: [manage_integrations_and_catalogs, manage_persons_in_organization, manage_roles]"
)


def managing_workspace(tmp_path: Path) -> Path:
    """The demo workspace with Alice (1001) holding the rights to manage people and roles."""
    text = DEMO_WORKSPACE.read_text(encoding="utf-8")
    original = "rights: [manage_integrations_and_catalogs]"
    assert original in text
    path = tmp_path / "workspace.yaml"
    path.write_text(text.replace(original, MANAGER_RIGHTS), encoding="utf-8")
    return path


def api_headers(server: LiveServer, login: str, key: str) -> dict[str, str]:
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        auth = api.post("/v4/auth", json={"login": login, "security_key": key})
        assert auth.status_code == 200, auth.text
        return {"Authorization": f"Bearer {auth.json()['access_token']}"}


def api_get(server: LiveServer, path: str, headers: dict[str, str]) -> Any:
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        answer = api.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()


def api_call(server: LiveServer, method: str, path: str, headers: dict[str, str], body: Any) -> Any:
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        answer = api.request(method, path, json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()


def members(server: LiveServer, headers: dict[str, str]) -> dict[int, dict[str, Any]]:
    """Every member as ``GET /v4/members?include_fired=true`` shows them, by id."""
    listed = api_get(server, "/v4/members?include_fired=true", headers)["members"]
    return {m["id"]: m for m in listed}


def roles(server: LiveServer, headers: dict[str, str]) -> dict[int, dict[str, Any]]:
    """Every role as ``GET /v4/roles?include_fired=true`` shows them, by id."""
    listed = api_get(server, "/v4/roles?include_fired=true", headers)["roles"]
    return {r["id"]: r for r in listed}


LEAVE_FORM = """
  - id: 323
    name: Leave request
    fields:
      - {id: 1, code: u_days, name: Days, type: text}
    steps:
      - {name: Manager, approvers: [1002]}
"""


def inbox_workspace(tmp_path: Path) -> Path:
    """The managing workspace with a form whose first step waits for Mark (1002)."""
    path = managing_workspace(tmp_path)
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n" + LEAVE_FORM
    path.write_text(text, encoding="utf-8")
    return path
