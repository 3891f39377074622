"""The people request models read every body the official clients send, strictly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyrus_bots.protocol import Person, PersonRights
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import StrictBody, parse_body
from pyrus_bots.protocol.models.people_requests import (
    ChangeMembersRequest,
    CreateMemberRequest,
    CreateRoleRequest,
    DeleteRoleRequest,
    SetAvatarRequest,
    UpdateMemberRequest,
    UpdateRoleRequest,
)

_CLIENT_FIXTURES = Path(__file__).parents[1] / "fixtures" / "clients"
_FILES = {
    "create_member": "members_create",
    "update_member": "members_update",
    "set_avatar": "members_avatar",
    "members_bulk": "members_bulk",
    "create_role": "roles_create",
    "update_role": "roles_update",
    "delete_role": "roles_delete",
}
# {call: {client: body}} for every client that makes the call.
FIXTURES: dict[str, dict[str, Any]] = {
    call: {
        path.parent.name: json.loads(path.read_text())["body"]
        for path in sorted(_CLIENT_FIXTURES.glob(f"*/{name}.json"))
    }
    for call, name in _FILES.items()
}
MODELS: dict[str, type[StrictBody]] = {
    "create_member": CreateMemberRequest,
    "update_member": UpdateMemberRequest,
    "set_avatar": SetAvatarRequest,
    "members_bulk": ChangeMembersRequest,
    "create_role": CreateRoleRequest,
    "update_role": UpdateRoleRequest,
    "delete_role": DeleteRoleRequest,
}


def _with_ids(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return 7 if value != "{guid}" else "0b2c55ad-8a3b-4a53-9b4c-6f1e2d3c4b5a"
    if isinstance(value, list):
        return [_with_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_ids(v) for k, v in value.items()}
    return value


CASES = [(call, client) for call in MODELS for client in FIXTURES[call]]


@pytest.mark.parametrize(("call", "client"), CASES)
def test_every_client_body_parses(call: str, client: str) -> None:
    parsed = parse_body(MODELS[call], _with_ids(FIXTURES[call][client]))
    assert isinstance(parsed, MODELS[call])


def test_csharp_values_arrive_typed() -> None:
    member = parse_body(CreateMemberRequest, FIXTURES["create_member"]["csharp"])
    assert member.rights == PersonRights.MANAGE_PERSONS_IN_ORGANIZATION | (
        PersonRights.MANAGE_INTEGRATIONS_AND_CATALOGS
    )
    assert member.messenger is not None and member.messenger.type == 1
    bulk = parse_body(ChangeMembersRequest, _with_ids(FIXTURES["members_bulk"]["csharp"]))
    assert [m.email for m in bulk.add_members] == ["finn@acme.test"]
    assert [c.id for c in bulk.change_members] == [7]
    assert [b.id for b in bulk.ban_members] == [7] and bulk.fire_members[0].task_receiver_id == 0
    snake = parse_body(ChangeMembersRequest, {"fire_members": [{"id": 3}]})
    assert snake.fire_members[0].id == 3


@pytest.mark.parametrize(
    ("model", "body", "code"),
    [
        (CreateMemberRequest, {"first_name": "A"}, "required_parameter_missing"),
        (CreateMemberRequest, {"email": "a@b.c", "rights": "4"}, "invalid_value_format"),
        (CreateMemberRequest, {"email": "a@b.c", "rights": True}, "invalid_value_format"),
        (UpdateMemberRequest, {"department_id": "7"}, "invalid_value_format"),
        (UpdateRoleRequest, {"member_add": ["1"]}, "invalid_value_format"),
        (CreateRoleRequest, {"member_add": [1]}, "required_parameter_missing"),
        (
            ChangeMembersRequest,
            {"FireMembers": [{"task_receiver_id": 1}]},
            "required_parameter_missing",
        ),
    ],
)
def test_wrong_bodies_get_pyrus_codes(model: type[StrictBody], body: Any, code: str) -> None:
    with pytest.raises(PyrusError) as error:
        parse_body(model, body)
    assert error.value.code == code


def test_person_reads_the_whole_member_shape() -> None:
    person = Person.from_pyrus(
        {
            "id": 5,
            "email": "e@acme.test",
            "type": "user",
            "rights": 5,
            "messenger": {"type": 1, "nickname": "@e"},
            "external_avatar_id": 42,
            "mobile_session_settings": {"life_span_hours": 12},
            "two_factor_auth": True,
        }
    )
    assert PersonRights(person.rights or 0) == PersonRights.MANAGE_ROLES | (
        PersonRights.MANAGE_PERSONS_IN_ORGANIZATION
    )
    assert person.messenger is not None and person.messenger.nickname == "@e"
    assert person.mobile_session_settings is not None
    assert person.mobile_session_settings.life_span_hours == 12
