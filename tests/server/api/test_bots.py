"""Bot management through /v4/bots: the right it needs, generated logins and keys, the limit."""

from __future__ import annotations

import copy
import re
from typing import Any

from api.harness import (
    ALICE,
    BOB,
    BOT_ID,
    RunningServer,
    StartServer,
    assert_error,
    bot_client,
    person_client,
)


def test_bot_lifecycle(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    listed = alice.get("/v4/bots").json()["bots"]
    assert BOT_ID in [b["id"] for b in listed]
    assert all("security_key" not in b for b in listed)
    created = alice.post("/v4/bots", json={"name": "Helper", "hook_url": "http://127.0.0.1:9/"})
    assert created.status_code == 200, created.text
    bot = created.json()
    assert re.fullmatch(r"bot@[0-9a-f]{20}", bot["login"])
    assert bot["security_key"] and bot["is_enabled"] is True and bot["version"] == 1
    # The new bot can log in with its generated key.
    token = shared_server.token(bot["login"], bot["security_key"])
    assert shared_server.client(token).get("/v4/profile").json()["person_id"] == bot["id"]

    updated = alice.put(
        f"/v4/bots/{bot['id']}",
        json={
            "name": "Helper 2",
            "is_enabled": False,
            "bot_settings": "{}",
            "send_only_last_comment": True,
        },
    ).json()
    assert updated["name"] == "Helper 2" and updated["is_enabled"] is False
    assert updated["bot_settings"] == "{}" and updated["send_only_last_comment"] is True
    assert updated["version"] == 2 and "security_key" not in updated

    deleted = alice.delete(f"/v4/bots/{bot['id']}").json()
    assert deleted["fired"] is True
    assert bot["id"] not in [b["id"] for b in alice.get("/v4/bots").json()["bots"]]
    fired = alice.get("/v4/bots", params={"include_fired": "True"}).json()["bots"]
    assert bot["id"] in [b["id"] for b in fired]
    assert_error(shared_server.client(token).get("/v4/profile"), 401, "account_blocked")


def test_bot_management_needs_the_right(shared_server: RunningServer) -> None:
    for client in (person_client(shared_server, BOB), bot_client(shared_server)):
        assert_error(client.get("/v4/bots"), 403, "access_denied")
        assert_error(client.post("/v4/bots", json={"name": "x"}), 403, "access_denied")
        assert_error(client.put(f"/v4/bots/{BOT_ID}", json={"name": "x"}), 403, "access_denied")
        assert_error(client.delete(f"/v4/bots/{BOT_ID}"), 403, "access_denied")
    alice = person_client(shared_server, ALICE)
    assert next(b for b in alice.get("/v4/bots").json()["bots"] if b["id"] == BOT_ID)["name"] == (
        "Checker"
    )


def test_bot_request_errors(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    assert_error(alice.post("/v4/bots", json={}), 400, "required_parameter_missing")
    assert_error(alice.post("/v4/bots", json={"name": "  "}), 400, "required_parameter_missing")
    assert_error(alice.post("/v4/bots", json={"name": 7}), 400, "invalid_value_format")
    assert_error(alice.put("/v4/bots/424242", json={"name": "x"}), 403, "access_denied_person")
    assert_error(
        alice.put(f"/v4/bots/{ALICE['id']}", json={"name": "x"}), 403, "access_denied_person"
    )
    assert_error(alice.delete("/v4/bots/424242"), 403, "access_denied_person")


def test_hundred_bot_limit(start_server: StartServer, api_workspace: dict[str, Any]) -> None:
    workspace = copy.deepcopy(api_workspace)
    workspace["bots"] += [{"id": 5000 + n, "name": f"Filler {n}"} for n in range(98)]
    server = start_server(workspace)
    alice = person_client(server, ALICE)
    assert len(alice.get("/v4/bots").json()["bots"]) == 99
    assert alice.post("/v4/bots", json={"name": "The hundredth"}).status_code == 200
    assert_error(alice.post("/v4/bots", json={"name": "One too many"}), 400, "limit_exceeded")
    assert len(alice.get("/v4/bots").json()["bots"]) == 100
    # Firing one frees a place.
    victim = alice.get("/v4/bots").json()["bots"][-1]["id"]
    alice.delete(f"/v4/bots/{victim}")
    assert alice.post("/v4/bots", json={"name": "Replacement"}).status_code == 200
