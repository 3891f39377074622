"""A bot cannot route a task to another bot: the pure rule, key by key."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import CommentRequest, CreateTaskRequest
from pyrus_bots.server.workflow.bot_routing import refuse_routing_to_other_bots
from pyrus_bots.server.workflow.state import Directory, Person, Role

HUMAN = Person(id=1, email="h@acme.test", first_name="H")
BOT = Person(id=2, email="bot@aaaaaaaaaaaaaaaaaaaa", first_name="A", type="bot")
OTHER_BOT = Person(id=3, email="bot@bbbbbbbbbbbbbbbbbbbb", first_name="B", type="bot")
DIRECTORY = Directory(
    organization_id=1,
    organization_name="Acme",
    people={p.id: p for p in (HUMAN, BOT, OTHER_BOT)},
    roles={9: Role(id=9, name="R", member_ids=[3])},
)

ROUTING_TO_OTHER_BOT: list[dict[str, Any]] = [
    {"reassign_to": {"id": 3}},
    {"reassign_to": {"email": "BOT@bbbbbbbbbbbbbbbbbbbb"}},
    {"participants_added": [{"id": 1}, {"id": 3}]},
    {"subscribers_added": [{"id": 3}]},
    {"subscribers_rerequested": [{"id": 3}]},
    {"approvals_added": [[], [{"id": 3}]]},
    {"approvals_rerequested": [[{"id": 3}]]},
]


@pytest.mark.parametrize("body", ROUTING_TO_OTHER_BOT)
def test_a_bot_naming_another_bot_is_refused(body: dict[str, Any]) -> None:
    request = CommentRequest.model_validate({"text": "over to you", **body})
    with pytest.raises(PyrusError) as refused:
        refuse_routing_to_other_bots(DIRECTORY, BOT, request)
    assert refused.value.code == "invalid_person_id" and refused.value.status == 400
    # The same request by a person is not this rule's business.
    refuse_routing_to_other_bots(DIRECTORY, HUMAN, request)


@pytest.mark.parametrize(
    "body",
    [
        {"reassign_to": {"id": 2}},
        {"participants_added": [{"id": 1}, {"id": 2}]},
        {"approvals_added": [[{"id": 1}], [{"id": 9}]]},  # a role, even one holding a bot
        {"participants_removed": [{"id": 3}], "approvals_removed": [[{"id": 3}]]},
        {"participants_added": [{"id": 424242}]},  # nobody: left to the engine's own error
    ],
)
def test_a_bot_may_name_itself_people_and_roles(body: dict[str, Any]) -> None:
    refuse_routing_to_other_bots(DIRECTORY, BOT, CommentRequest.model_validate(body))


@pytest.mark.parametrize(
    "body",
    [
        {"text": "t", "responsible": {"id": 3}},
        {"text": "t", "participants": [{"id": 3}]},
        {"text": "t", "subscribers": [{"id": 3}]},
        {"form_id": 5, "approvals": [[{"id": 3}]]},
    ],
)
def test_a_bot_cannot_create_a_task_for_another_bot(body: dict[str, Any]) -> None:
    with pytest.raises(PyrusError, match="another bot"):
        refuse_routing_to_other_bots(DIRECTORY, BOT, CreateTaskRequest.model_validate(body))
