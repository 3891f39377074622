"""The top-level collection of a list answer is written even when empty (the TypeScript client's
types declare it required); empty values inside stay omitted (DESIGN.md 4)."""

from __future__ import annotations

from api.harness import ALICE, FORM_ID, OPEN_FORM_ID, RunningServer, person_client


def test_empty_collections_are_present(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    register = alice.post(f"/v4/forms/{FORM_ID}/register", json={"task_ids": [987654321]})
    assert register.json() == {"tasks": []}
    permissions = alice.get(f"/v4/forms/{OPEN_FORM_ID}/permissions")
    assert permissions.json() == {"permissions": {}}
    # Non-empty answers are unchanged: nested empty values stay omitted.
    members = alice.get("/v4/members").json()["members"]
    assert members and all(value not in ("", [], {}, None) for m in members for value in m.values())
