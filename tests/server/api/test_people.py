"""Contacts, members, roles, profile; bools in any case and trailing slashes (spec 7 item 35)."""

from __future__ import annotations

from api.harness import (
    ALICE,
    BOB,
    BOT_ID,
    BOT_LOGIN,
    ORG_ID,
    ROLE_ID,
    RunningServer,
    assert_error,
    bot_client,
    person_client,
)


def test_contacts_spellings(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    for path in (
        "/v4/contacts",
        "/v4/contacts/",
        "/v4/contacts/?include_inactive=False",
        "/v4/contacts?include_inactive=True",
        "/api/v4/contacts/?include_inactive=true",
    ):
        response = bob.get(path)
        assert response.status_code == 200, path
        organization = response.json()["organizations"][0]
        assert organization["organization_id"] == ORG_ID and organization["name"] == "Acme"
        ids = {p["id"] for p in organization["persons"]}
        assert {ALICE["id"], BOB["id"], BOT_ID} <= ids
        assert [r["id"] for r in organization["roles"]] == [ROLE_ID]
    assert_error(bob.get("/v4/contacts?include_inactive=perhaps"), 400, "invalid_value_format")


def test_members_and_roles(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    members = bob.get("/v4/members?include_fired=FALSE").json()["members"]
    alice = next(m for m in members if m["id"] == ALICE["id"])
    assert alice == {
        "id": ALICE["id"],
        "first_name": "Alice",
        "last_name": "Admin",
        "email": ALICE["email"],
        "type": "user",
        "banned": False,
        "fired": False,
        "rights": 0x400,  # manage_integrations_and_catalogs, as the PersonRights flags
    }
    assert bob.get(f"/v4/members/{ALICE['id']}").json() == alice
    assert_error(bob.get("/v4/members/5"), 400, "invalid_person_id")
    roles = bob.get("/v4/roles").json()["roles"]
    assert roles == [
        {"id": ROLE_ID, "name": "Managers", "banned": False, "member_ids": [ALICE["id"]]}
    ]
    assert bob.get(f"/v4/roles/{ROLE_ID}").json() == roles[0]
    assert_error(bob.get("/v4/roles/1"), 400, "invalid_person_id")


def test_profile_of_person_and_bot(shared_server: RunningServer) -> None:
    profile = person_client(shared_server, ALICE).get("/v4/profile?withinactive=False").json()
    assert profile["person_id"] == ALICE["id"] and profile["email"] == ALICE["email"]
    assert profile["organization_id"] == ORG_ID and profile["locale"]
    assert profile["organization"]["name"] == "Acme"
    bot = bot_client(shared_server).get("/v4/profile").json()
    assert bot["person_id"] == BOT_ID and bot["email"] == BOT_LOGIN and bot["type"] == "bot"
    assert bot["first_name"] == "Checker"
