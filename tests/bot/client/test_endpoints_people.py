"""The people-management methods of both clients against the fake API over loopback HTTP: the
path and body that reach the server, and the typed answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyrus_bots.protocol import Bot, Person, PersonRights, Role
from pyrus_bots.protocol.models.people_requests import (
    ChangeMembersRequest,
    CreateMemberRequest,
    FirePersonRequest,
    UpdateRoleRequest,
)
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import Client, invoke


@pytest.fixture
def client(make_client: Callable[..., Client], fake_url: str) -> Client:
    return make_client("webhook-token", platform=fake_url)


async def test_members(client: Client, fake: FakePyrusAPI) -> None:
    request = CreateMemberRequest(email="eve@acme.test", first_name="Eve", rights=5)
    eve = await invoke(client, "create_member", request)
    assert isinstance(eve, Person) and eve.email == "eve@acme.test" and eve.rights == 5
    call = fake.calls[-1]
    assert (call.method, call.path) == ("POST", "/v4/members")
    assert call.json == {"first_name": "Eve", "email": "eve@acme.test", "rights": 5}
    changed = await invoke(client, "update_member", eve.id, {"position": "Buyer"})
    assert changed.position == "Buyer" and fake.calls[-1].json == {"position": "Buyer"}
    upload = await invoke(client, "upload_file", "eve.png", b"\x89PNG")
    assert (await invoke(client, "set_avatar", eve.id, upload.guid)).avatar_id
    assert fake.calls[-1].json == {"guid": upload.guid}
    bulk = ChangeMembersRequest(fire_members=[FirePersonRequest(id=eve.id)])
    assert [p.fired for p in await invoke(client, "change_members", bulk)] == [True]
    assert fake.calls[-1].json == {"fire_members": [{"id": eve.id}]}
    assert (await invoke(client, "delete_member", 1001)).fired is True
    assert (fake.calls[-1].method, fake.calls[-1].path) == ("DELETE", "/v4/members/1001")


async def test_roles_identity_and_bot_rights(client: Client, fake: FakePyrusAPI) -> None:
    role = await invoke(client, "create_role", "Night shift", [1001], external_id="night")
    assert isinstance(role, Role) and role.member_ids == [1001]
    assert fake.calls[-1].json == {
        "name": "Night shift",
        "external_id": "night",
        "member_add": [1001],
    }
    changed = await invoke(client, "update_role", role.id, UpdateRoleRequest(banned=True))
    assert changed.banned is True and (await invoke(client, "get_role", role.id)).banned is True
    assert (await invoke(client, "delete_role", role.id, 1001)).fired is True
    assert fake.calls[-1].json == {"task_receiver_id": 1001}
    made = await invoke(client, "create_roles", [{"name": "A"}, {"name": "B"}])
    assert [r.name for r in made] == ["A", "B"]
    ids = [{"id": r.id, "name": r.name + "2"} for r in made]
    assert [r.name for r in await invoke(client, "update_roles", ids)] == ["A2", "B2"]
    gone = await invoke(client, "delete_roles", [{"id": r.id} for r in made])
    assert all(r.fired for r in gone)
    assert (fake.calls[-1].method, fake.calls[-1].path) == ("DELETE", "/v4/roles/bulk")
    identity = await invoke(client, "get_identity")
    assert identity.email == fake.bot["email"] and identity.organization_id == 1
    bot = await invoke(client, "set_bot_rights", fake.bot["id"], ["manage_roles"])
    assert isinstance(bot, Bot) and bot.rights == int(PersonRights.MANAGE_ROLES)
    assert fake.calls[-1].json == {"rights": 1}
