"""Members, roles, the profile identity and bot rights through /v4, with the exact bodies the
official Python, C# and TypeScript clients send (tests/fixtures/clients/<client>/members_*,
roles_*, bots_*),
answers checked against the shapes the clients declare (``people_shapes``)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from api.client_fixtures import client_body
from api.harness import (
    ALICE,
    BOB,
    BOT_ID,
    BOT_LOGIN,
    CAROL,
    ORG_ID,
    POSTGRES_ENV,
    ROLE_ID,
    RunningServer,
    assert_error,
    bot_client,
    create_postgres_database,
    make_api_workspace,
    person_client,
    serve_in_thread,
)
from api.people_shapes import check_bot, check_person, check_role
from pyrus_bots.bot.client import AsyncPyrusClient, PyrusClient
from pyrus_bots.protocol import Bot, Person, PersonRights, Role
from pyrus_bots.protocol.models.people_requests import (
    ChangeMemberRequest,
    ChangeMembersRequest,
    CreateMemberRequest,
    CreateRoleRequest,
    DeleteRoleRequest,
    UpdateRoleRequest,
)
from pyrus_bots.server.settings import Settings

DANA = {"id": 1010, "email": "dana@acme.test", "key": "dana-key"}
"""The organisation's personnel manager: manage_persons_in_organization and manage_roles."""


def _workspace() -> dict[str, Any]:
    workspace = make_api_workspace()
    workspace["people"].append(
        {
            "id": DANA["id"],
            "email": DANA["email"],
            "first_name": "Dana",
            "last_name": "Director",
            "security_key": DANA["key"],
            "rights": ["manage_persons_in_organization", "manage_roles"],
        }
    )
    return workspace


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def people_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A platform of its own per backend: these tests change people and rights."""
    directory = tmp_path_factory.mktemp("people-server")
    workspace = directory / "workspace.json"
    workspace.write_text(json.dumps(_workspace()))
    drop = None
    if request.param == "sqlite":
        db = f"sqlite:///{directory / 'platform.db'}"
    else:
        server_url = os.environ.get(POSTGRES_ENV)
        if not server_url:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
        db, drop = create_postgres_database(server_url)
    running = serve_in_thread(
        Settings(host="127.0.0.1", port=0, db=db, workspace=str(workspace), bot_timeout=5.0)
    )
    try:
        yield running
    finally:
        running.stop()
        if drop is not None:
            drop()


# The request names of tests/fixtures/clients/<client>/ for each call of this module.
_FILES = {
    "create_member": "members_create",
    "update_member": "members_update",
    "set_avatar": "members_avatar",
    "members_bulk": "members_bulk",
    "create_role": "roles_create",
    "update_role": "roles_update",
    "delete_role": "roles_delete",
    "update_bot": "bots_update",
}


def fixture(call: str, client: str, **ids: Any) -> Any:
    """A client's request body from the fixtures, with ``"{name}"`` strings replaced by ids
    (``roles_bulk`` is the C# client's, ``client`` naming the create, update or delete)."""
    if call == "roles_bulk":
        return client_body("csharp", f"roles_bulk_{client}", **ids)
    return client_body(client, _FILES[call], **ids)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def dana(server: RunningServer) -> httpx.Client:
    return person_client(server, DANA)


def _member(client: httpx.Client, person_id: int) -> dict[str, Any]:
    listed = ok(client.get("/v4/members", params={"include_fired": "true"}))["members"]
    return check_person(next(p for p in listed if p["id"] == person_id))


def test_create_member_as_each_client_sends_it(people_server: RunningServer) -> None:
    client = dana(people_server)
    created = {
        name: check_person(ok(client.post("/v4/members", json=fixture("create_member", name))))
        for name in ("python", "csharp", "typescript")
    }
    cs = created["csharp"]
    assert cs["email"] == "erin.cs@acme.test" and cs["type"] == "user"
    assert cs["rights"] == 1028  # ManagePersonsInOrganization | ManageIntegrationsAndCatalogs
    assert cs["messenger"] == {"type": 1, "nickname": "@erin_cs"}
    assert cs["department_id"] == 7 and cs["personnel_number"] == "E-17"
    assert cs["external_id"] == "hr-17" and cs["login_phone"] == "+15550102"
    assert created["python"]["position"] == "Engineer" and created["python"]["rights"] == 0
    assert created["typescript"]["status"] == "Remote"
    # Written through the API, visible everywhere people are listed, to anyone.
    bob = person_client(people_server, BOB)
    assert _member(bob, cs["id"]) == cs
    assert check_person(ok(bob.get(f"/v4/members/{cs['id']}"))) == cs
    contacts = ok(bob.get("/v4/contacts"))["organizations"][0]["persons"]
    assert next(p for p in contacts if p["id"] == cs["id"]) == cs
    profile = ok(bob.get("/v4/profile"))["organization"]["persons"]
    assert next(p for p in profile if p["id"] == cs["id"]) == cs


def test_update_member_as_each_client_sends_it(people_server: RunningServer) -> None:
    client = dana(people_server)
    body = {"first_name": "Upd", "last_name": "Ate", "email": "update.target@acme.test"}
    target = ok(client.post("/v4/members", json=body))["id"]
    for name in ("python", "csharp", "typescript"):
        changed = check_person(
            ok(
                client.put(
                    f"/v4/members/{target}", json=fixture("update_member", name, member=target)
                )
            )
        )
        assert changed == _member(client, target)
        if name == "python":
            assert changed["last_name"] == "Pythonista" and changed["phone"] == "+1 555 0111"
        if name == "csharp":
            assert changed["native_first_name"] == "Эрин" and changed["rights"] == 5
            assert changed["department_id"] == 9 and changed["status"] == "Away"
            assert changed["messenger"] == {"type": 2, "nickname": "+15550100"}
            assert changed["mobile_session_settings"] == {"life_span_hours": 12}
            assert changed["web_session_restriction_settings"] == {"max_count": 3, "disable": False}
            assert changed["cant_export_form_registry"] is True
            assert changed["two_factor_auth"] is True
        if name == "typescript":
            assert changed["last_name"] == "Scripter" and "department_id" not in changed
            assert changed["native_first_name"] == "Эрин"  # what the request left alone stays
            assert changed["rights"] == 5 and changed["banned"] is False


def test_ban_fire_and_bulk(people_server: RunningServer) -> None:
    client = dana(people_server)
    ids = {}
    for name in ("change", "ban", "fire"):
        body = {"first_name": name.title(), "email": f"{name}.bulk@acme.test", "last_name": "X"}
        ids[name] = ok(client.post("/v4/members", json=body))["id"]
    key_owner = ok(client.put(f"/v4/members/{ids['ban']}", json={"banned": True}))
    assert key_owner["banned"] is True
    ok(client.put(f"/v4/members/{ids['ban']}", json={"banned": False}))
    answer = ok(client.post("/v4/members/bulk", json=fixture("members_bulk", "csharp", **ids)))
    members = {p["id"]: check_person(p) for p in answer["members"]}
    assert len(members) == 4
    added = next(p for p in members.values() if p["email"] == "finn@acme.test")
    assert added["first_name"] == "Finn"
    assert members[ids["change"]]["position"] == "Buyer"
    assert members[ids["ban"]]["banned"] is True
    assert members[ids["fire"]]["fired"] is True
    listed = {p["id"] for p in ok(client.get("/v4/members"))["members"]}
    assert ids["fire"] not in listed and added["id"] in listed
    # A bulk change applies all or nothing.
    broken = {
        "AddMembers": [{"first_name": "Gus", "email": "gus@acme.test"}],
        "FireMembers": [{"id": 424242}],
    }
    assert_error(client.post("/v4/members/bulk", json=broken), 400, "invalid_person_id")
    assert "gus@acme.test" not in {p["email"] for p in ok(client.get("/v4/members"))["members"]}


def test_delete_member_fires_and_blocks(people_server: RunningServer) -> None:
    client = dana(people_server)
    body = {"first_name": "Temp", "email": "temp@acme.test"}
    person_id = ok(client.post("/v4/members", json=body))["id"]
    fired = check_person(ok(client.delete(f"/v4/members/{person_id}")))  # TS and C#: no body
    assert fired["fired"] is True
    assert person_id not in {p["id"] for p in ok(client.get("/v4/members"))["members"]}
    assert_error(client.delete(f"/v4/members/{DANA['id']}"), 400, "cannot_be_fired")
    assert_error(client.delete(f"/v4/members/{BOT_ID}"), 403, "access_denied_person")
    assert_error(client.delete("/v4/members/424242"), 400, "invalid_person_id")


def test_set_avatar_as_each_client_sends_it(people_server: RunningServer) -> None:
    client = dana(people_server)
    avatars = []
    for name in ("python", "csharp", "typescript"):
        upload = ok(client.post("/v4/files/upload", files={"file": ("face.png", b"\x89PNG")}))
        answer = check_person(
            ok(
                client.put(
                    f"/v4/members/{BOB['id']}/avatar",
                    json=fixture("set_avatar", name, guid=upload["guid"]),
                )
            )
        )
        avatars.append(answer["avatar_id"])  # the uploaded file's id
        if name == "csharp":
            assert answer["external_avatar_id"] == 42
    assert len(set(avatars)) == 3  # each call set the newly uploaded image
    assert _member(client, BOB["id"])["avatar_id"] == avatars[-1]
    assert _member(client, BOB["id"])["external_avatar_id"] == 42  # TypeScript did not send it
    someone_elses = ok(
        person_client(people_server, BOB).post("/v4/files/upload", files={"file": ("x.png", b"x")})
    )
    assert_error(
        client.put(f"/v4/members/{BOB['id']}/avatar", json={"guid": someone_elses["guid"]}),
        403,
        "access_denied_file",
    )
    unknown = {"guid": "00000000-0000-0000-0000-000000000000"}
    assert_error(
        client.put(f"/v4/members/{BOB['id']}/avatar", json=unknown),
        400,
        "unrecognized_attachment_id",
    )
    assert_error(
        client.put(f"/v4/members/{BOB['id']}/avatar", json={}), 400, "required_parameter_missing"
    )


def test_member_writes_need_the_right(people_server: RunningServer) -> None:
    # Alice manages integrations and catalogs, not people; the bot holds no right (yet).
    for client in (person_client(people_server, ALICE), bot_client(people_server)):
        body = {"first_name": "No", "email": "no@acme.test"}
        assert_error(client.post("/v4/members", json=body), 403, "access_denied")
        assert_error(client.put(f"/v4/members/{BOB['id']}", json=body), 403, "access_denied")
        assert_error(client.delete(f"/v4/members/{BOB['id']}"), 403, "access_denied")
        assert_error(client.post("/v4/members/bulk", json={}), 403, "access_denied")
        avatar = {"external_avatar_id": 1}
        assert_error(
            client.put(f"/v4/members/{BOB['id']}/avatar", json=avatar), 403, "access_denied"
        )
        assert_error(client.post("/v4/roles", json={"name": "x"}), 403, "access_denied")
        assert_error(client.put(f"/v4/roles/{ROLE_ID}", json={"name": "x"}), 403, "access_denied")
        assert_error(client.delete(f"/v4/roles/{ROLE_ID}"), 403, "access_denied")
        assert_error(client.post("/v4/roles/bulk", json=[{"name": "x"}]), 403, "access_denied")
    assert ok(dana(people_server).get(f"/v4/members/{BOB['id']}"))["first_name"] == "Bob"


def test_member_request_errors(people_server: RunningServer) -> None:
    client = dana(people_server)
    assert_error(
        client.post("/v4/members", json={"first_name": "A"}), 400, "required_parameter_missing"
    )
    assert_error(
        client.post("/v4/members", json={"email": "nameless@acme.test"}),
        400,
        "required_parameter_missing",
    )
    assert_error(
        client.post("/v4/members", json={"first_name": "A", "email": "not-an-email"}),
        400,
        "invalid_email",
    )
    taken = {"first_name": "A", "email": BOB["email"].upper()}
    assert_error(client.post("/v4/members", json=taken), 400, "non_unique_email")
    assert_error(
        client.put(f"/v4/members/{CAROL['id']}", json={"email": BOB["email"]}),
        400,
        "non_unique_email",
    )
    for rights in (1 << 20, -1, "manage_roles", ["no_such_right"], True):
        body = {"first_name": "A", "email": "rights@acme.test", "rights": rights}
        assert_error(client.post("/v4/members", json=body), 400, "invalid_value_format")
    assert_error(
        client.put(f"/v4/members/{BOB['id']}", json={"department_id": "7"}),
        400,
        "invalid_value_format",
    )
    assert_error(client.put(f"/v4/members/{BOB['id']}", json=[1]), 400, "invalid_json")
    assert_error(
        client.put(f"/v4/members/{BOT_ID}", json={"first_name": "x"}), 403, "access_denied_person"
    )
    assert_error(
        client.put("/v4/members/424242", json={"first_name": "x"}), 400, "invalid_person_id"
    )
    assert_error(
        client.post("/v4/members/bulk", json={"ChangeMembers": [{"first_name": "x"}]}),
        400,
        "required_parameter_missing",
    )


def test_roles_as_each_client_sends_them(people_server: RunningServer) -> None:
    client = dana(people_server)
    created = {
        name: check_role(ok(client.post("/v4/roles", json=fixture("create_role", name))))
        for name in ("python", "csharp", "typescript")
    }
    assert created["csharp"]["member_ids"] == [BOB["id"], CAROL["id"]]
    assert created["csharp"]["external_id"] == "ext-cs"
    assert created["python"]["member_ids"] == [BOB["id"]]
    for name, role in created.items():
        path = f"/v4/roles/{role['id']}"
        changed = check_role(
            ok(client.put(path, json=fixture("update_role", name, role=role["id"])))
        )
        assert changed == check_role(ok(client.get(path)))
        created[name] = changed
    # The Python client misspells member_remove (memebr_remove): Pyrus ignores it, so do we.
    assert created["python"]["member_ids"] == [BOB["id"], CAROL["id"]]
    assert created["python"]["name"] == "Python role 2"
    assert created["csharp"]["member_ids"] == [ALICE["id"], CAROL["id"]]
    assert created["csharp"]["banned"] is True
    assert created["typescript"]["member_ids"] == [BOB["id"]]
    listed = {r["id"] for r in ok(client.get("/v4/roles"))["roles"]}
    assert created["typescript"]["id"] in listed and created["csharp"]["id"] not in listed
    for name in ("python", "csharp"):
        role_id = created[name]["id"]
        deleted = check_role(
            ok(
                client.request(
                    "DELETE",
                    f"/v4/roles/{role_id}",
                    json=fixture("delete_role", name, role=role_id),
                )
            )
        )
        assert deleted["fired"] is True
    roles = ok(client.get("/v4/roles"))["roles"]
    assert created["python"]["id"] not in {r["id"] for r in roles}
    contacts = ok(client.get("/v4/contacts"))["organizations"][0]["roles"]
    assert created["python"]["id"] not in {r["id"] for r in contacts}
    everything = ok(client.get("/v4/roles", params={"include_fired": "True"}))["roles"]
    assert created["python"]["id"] in {check_role(r)["id"] for r in everything}


def test_roles_in_bulk(people_server: RunningServer) -> None:
    client = dana(people_server)
    made = ok(client.post("/v4/roles/bulk", json=fixture("roles_bulk", "create")))["roles"]
    a, b = (check_role(r) for r in made)
    assert a["name"] == "Bulk A" and a["member_ids"] == [ALICE["id"]] and b["name"] == "Bulk B"
    ids = {"a": a["id"], "b": b["id"]}
    changed = ok(client.put("/v4/roles/bulk", json=fixture("roles_bulk", "update", **ids)))["roles"]
    assert [r["member_ids"] for r in changed[:1]] == [[BOB["id"]]] and changed[1]["banned"] is True
    gone = ok(
        client.request("DELETE", "/v4/roles/bulk", json=fixture("roles_bulk", "delete", **ids))
    )
    assert all(r["fired"] is True for r in gone["roles"])
    # All or nothing: one unknown role refuses the whole list.
    bad = [{"name": "Bulk C"}, {"name": "Bulk D", "member_add": [424242]}]
    assert_error(client.post("/v4/roles/bulk", json=bad), 400, "invalid_person_id")
    names = {
        r["name"] for r in ok(client.get("/v4/roles", params={"include_fired": "true"}))["roles"]
    }
    assert "Bulk C" not in names
    assert_error(client.post("/v4/roles/bulk", json={"name": "x"}), 400, "invalid_json")
    assert_error(client.post("/v4/roles/bulk", json=[]), 400, "invalid_json")
    assert_error(client.post("/v4/roles/bulk", json=[{"name": 5}]), 400, "invalid_value_format")
    assert_error(client.put("/v4/roles/bulk", json=[{"name": "no id"}]), 400, "invalid_person_id")
    assert_error(client.post("/v4/roles", json={"name": " "}), 400, "required_parameter_missing")
    assert_error(client.put("/v4/roles/424242", json={"name": "x"}), 400, "invalid_person_id")
    assert_error(
        client.put(f"/v4/roles/{ROLE_ID}", json={"member_add": ["1"]}), 400, "invalid_value_format"
    )


def test_profile_identity(people_server: RunningServer) -> None:
    assert ok(dana(people_server).get("/v4/profile/identity")) == {
        "email": DANA["email"],
        "organization_id": ORG_ID,
    }
    assert ok(bot_client(people_server).get("/api/v4/profile/identity")) == {
        "email": BOT_LOGIN,
        "organization_id": ORG_ID,
    }
    assert_error(people_server.client().get("/v4/profile/identity"), 401, "token_not_specified")


def test_bot_rights_take_effect(people_server: RunningServer) -> None:
    alice = person_client(people_server, ALICE)
    new_bot = ok(alice.post("/v4/bots", json={"name": "Clerk"}))
    body = {"first_name": "Hired", "last_name": "ByBot", "email": "hired.by.bot@acme.test"}
    bot = people_server.client(people_server.token(new_bot["login"], new_bot["security_key"]))
    assert_error(bot.post("/v4/members", json=body), 403, "access_denied")
    # C# sends only the rights; TypeScript repeats the bot's id in the body.
    for name in ("csharp", "typescript"):
        updated = check_bot(
            ok(
                alice.put(
                    f"/v4/bots/{new_bot['id']}", json=fixture("update_bot", name, bot=new_bot["id"])
                )
            )
        )
        assert updated["rights"] == 5  # ManageRoles | ManagePersonsInOrganization
    listed = ok(alice.get("/v4/bots"))["bots"]
    assert next(check_bot(b) for b in listed if b["id"] == new_bot["id"])["rights"] == 5
    assert (
        _member(alice, new_bot["id"])["rights"] == 5
        and _member(alice, new_bot["id"])["type"] == "bot"
    )
    hired = check_person(ok(bot.post("/v4/members", json=body)))
    assert hired["email"] == body["email"]
    assert check_role(ok(bot.post("/v4/roles", json={"name": "Bot-made"})))["name"] == "Bot-made"
    # Still not a bot manager: that right was not given.
    assert_error(bot.get("/v4/bots"), 403, "access_denied")
    ok(alice.put(f"/v4/bots/{new_bot['id']}", json={"rights": ["manage_roles"]}))
    assert_error(
        bot.post("/v4/members", json={**body, "email": "two@acme.test"}), 403, "access_denied"
    )
    assert_error(
        alice.put(f"/v4/bots/{new_bot['id']}", json={"rights": 1 << 13}),
        400,
        "invalid_value_format",
    )


def test_sdk_clients_manage_people(people_server: RunningServer) -> None:
    """The SDK's sync and async clients: every people-management method, typed answers."""
    token = people_server.token(DANA["email"], DANA["key"])
    sync = PyrusClient.for_platform(people_server.base_url, token)
    try:
        member = sync.create_member(
            CreateMemberRequest(
                email="sdk@acme.test", first_name="Sdk", rights=["manage_roles"], status="New"
            )
        )
        assert isinstance(member, Person) and member.rights == int(PersonRights.MANAGE_ROLES)
        changed = sync.update_member(member.id, {"position": "Tester", "status": "Busy"})
        assert changed.position == "Tester" and changed.status == "Busy"
        upload = sync.upload_file("sdk.png", b"\x89PNG")
        assert sync.set_avatar(member.id, upload.guid).avatar_id
        bulk = sync.change_members(
            ChangeMembersRequest(
                change_members=[ChangeMemberRequest(id=member.id, location="Paris")]
            )
        )
        assert [p.location for p in bulk] == ["Paris"]
        role = sync.create_role("SDK role", [member.id], external_id="sdk")
        assert isinstance(role, Role) and role.member_ids == [member.id]
        role = sync.update_role(role.id, UpdateRoleRequest(member_add=[BOB["id"]]))
        assert role.member_ids == [BOB["id"], member.id] == sync.get_role(role.id).member_ids
        assert sync.delete_role(role.id, task_receiver_id=DANA["id"]).fired is True
        assert sync.get_identity().email == DANA["email"]
        assert sync.delete_member(member.id).fired is True
    finally:
        sync.close()

    async def with_async_client() -> None:
        async with AsyncPyrusClient.for_platform(people_server.base_url, token) as client:
            made = await client.create_roles(
                [CreateRoleRequest(name="Async A"), {"name": "Async B", "member_add": [BOB["id"]]}]
            )
            assert [r.name for r in made] == ["Async A", "Async B"]
            changed = await client.update_roles([{"id": made[0].id, "banned": True}])
            assert changed[0].banned is True
            gone = await client.delete_roles([DeleteRoleRequest(id=r.id) for r in made])
            assert all(r.fired for r in gone)
            identity = await client.get_identity()
            assert identity.organization_id == ORG_ID

    asyncio.run(with_async_client())

    alice = PyrusClient.for_platform(
        people_server.base_url, people_server.token(ALICE["email"], ALICE["key"])
    )
    try:
        bot = alice.set_bot_rights(BOT_ID, PersonRights.MANAGE_ROLES)
        assert isinstance(bot, Bot) and bot.rights == int(PersonRights.MANAGE_ROLES)
        assert alice.set_bot_rights(BOT_ID, []).rights == 0
    finally:
        alice.close()


def _official(server: RunningServer, person: dict[str, Any]) -> Any:
    """The official ``pyrus-api`` client pointed at the server (spec 8.1 recipe A)."""
    from pyrus.client import PyrusAPI

    api = PyrusAPI(login=person["email"], security_key=person["key"])
    host = urlparse(server.base_url).netloc
    api._protocol = "http"
    api._host = host
    api._files_host = host
    return api


def _fine(answer: Any) -> Any:
    assert getattr(answer, "error_code", None) is None, (answer.error_code, answer.error)
    return answer


def test_official_python_client_manages_people(
    people_server: RunningServer, tmp_path: Path
) -> None:
    from pyrus.models import requests

    api = _official(people_server, DANA)
    created = _fine(
        api.create_member(
            requests.CreateMemberRequest(
                first_name="Olga", last_name="Official", email="olga@acme.test", position="QA"
            )
        )
    )
    assert created.id and created.email == "olga@acme.test" and created.type == "user"
    updated = _fine(
        api.update_member(created.id, requests.UpdateMemberRequest(last_name="Officer"))
    )
    assert updated.last_name == "Officer" and updated.first_name == "Olga"
    image = tmp_path / "olga.png"
    image.write_bytes(b"\x89PNG official")
    upload = _fine(api.upload_file(str(image)))
    avatar = _fine(api.set_avatar(created.id, upload.guid))
    assert avatar.avatar_id
    assert _fine(api.get_member(created.id)).avatar_id == avatar.avatar_id
    listed = next(m for m in _fine(api.get_members()).members if m.id == created.id)
    assert listed.position == "QA" and listed.last_name == "Officer"

    role = _fine(api.create_role(requests.CreateRoleRequest("Officials", [created.id])))
    assert role.name == "Officials" and role.member_ids == [created.id]
    changed = _fine(
        api.update_role(role.id, requests.UpdateRoleRequest(name="Officers", added_members=[1002]))
    )
    assert changed.name == "Officers" and changed.member_ids == [BOB["id"], created.id]
    assert _fine(api.get_role(role.id)).member_ids == changed.member_ids
    assert role.id in [r.id for r in _fine(api.get_roles()).roles]
    deleted = _fine(api.delete_role(role.id, requests.DeleteRoleRequest(DANA["id"])))
    assert deleted.fired is True
    assert role.id not in [r.id for r in _fine(api.get_roles()).roles]

    # Without the right the client gets Pyrus's error, not a crash.
    bob = _official(people_server, BOB)
    refused = bob.create_member(requests.CreateMemberRequest(first_name="X", email="x@acme.test"))
    assert refused.error_code == "access_denied"
