"""Access rules, inbox, and which bots a change calls (DESIGN.md 3.4, 3.5)."""

from __future__ import annotations

import copy

from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.access import (
    can_comment,
    can_view_task,
    in_inbox,
    involved_person_ids,
    is_waiting_on,
)
from pyrus_bots.server.workflow.state import Directory, Person
from pyrus_bots.server.workflow.triggers import bots_to_call

from .conftest import ALICE, BOB, BOT, CAROL, OTHER_BOT, ROLE, ROLE_FORM, T0, Flow, start


def test_involved_and_visibility(directory: Directory, flow: Flow) -> None:
    assert involved_person_ids(flow.task) == {ALICE, BOT, BOB}
    people = directory.people
    assert can_view_task(directory, flow.task, people[BOB])  # later-step approver
    assert not can_view_task(directory, flow.task, people[CAROL])
    assert not can_comment(directory, flow.task, people[OTHER_BOT])
    # Carol manages the form: she sees it; a bot never sees by management or rights
    directory.forms[flow.task.form_id or 0].manager_ids.append(CAROL)
    assert can_view_task(directory, flow.task, people[CAROL])
    people[OTHER_BOT].rights = frozenset({"can_see_all_tasks"})
    assert not can_view_task(directory, flow.task, people[OTHER_BOT])
    # history: a bot that once took part keeps seeing the task
    assert can_view_task(directory, flow.task, people[OTHER_BOT], involved_ids={OTHER_BOT})
    see_all = Person(9, "boss@acme.test", rights=frozenset({"can_see_all_tasks"}))
    assert can_view_task(directory, flow.task, see_all)
    people[BOB].banned = True
    assert not can_view_task(directory, flow.task, people[BOB])


def test_role_member_sees_and_waits(directory: Directory) -> None:
    flow = start(directory, form_id=ROLE_FORM)
    carol = directory.people[CAROL]
    assert can_view_task(directory, flow.task, carol)
    assert is_waiting_on(flow.task, ROLE)
    assert not is_waiting_on(flow.task, CAROL)
    assert is_waiting_on(flow.task, CAROL, directory)
    assert in_inbox(flow.task, CAROL, directory)


def test_inbox(directory: Directory, flow: Flow) -> None:
    assert in_inbox(flow.task, BOT) and not in_inbox(flow.task, ALICE)
    flow.comment(BOT, approval_choice="approved")
    assert in_inbox(flow.task, ALICE) and not in_inbox(flow.task, BOT)
    flow.comment(ALICE, action="finished")
    assert not in_inbox(flow.task, ALICE)
    simple = engine.create_task(
        directory,
        directory.people[ALICE],
        task_request({"text": "x", "responsible": {"id": BOB}}),
        T0,
        8,
    ).task
    assert in_inbox(simple, BOB) and not in_inbox(simple, ALICE)


def calls(flow: Flow, author: int, **request: object) -> list[tuple[int, str]]:
    before = copy.deepcopy(flow.task)
    applied = flow.comment(author, **request)
    return bots_to_call(flow.directory, before, applied.task, applied.events, author)


def test_creation_calls_the_step_one_bot(directory: Directory) -> None:
    applied = engine.create_task(
        directory, directory.people[ALICE], task_request({"form_id": 321}), T0, 5
    )
    assert bots_to_call(directory, None, applied.task, applied.events, ALICE) == [(BOT, "comment")]
    # a bot creating the task does not call itself
    directory.forms[321].member_ids.append(BOT)
    applied = engine.create_task(
        directory, directory.people[BOT], task_request({"form_id": 321}), T0, 6
    )
    assert bots_to_call(directory, None, applied.task, applied.events, BOT) == []


def test_simple_task_with_bot_responsible(directory: Directory) -> None:
    applied = engine.create_task(
        directory,
        directory.people[ALICE],
        task_request(
            {"text": "x", "responsible": {"id": BOT}, "participants": [{"id": OTHER_BOT}]}
        ),
        T0,
        5,
    )
    assert bots_to_call(directory, None, applied.task, applied.events, ALICE) == [
        (BOT, "comment"),
        (OTHER_BOT, "comment"),
    ]


def test_comment_triggers(flow: Flow) -> None:
    assert calls(flow, ALICE, text="ping") == [(BOT, "comment")]  # bot waiting on step 1
    assert calls(flow, BOT, text="own comment") == []
    assert calls(flow, BOT, approval_choice="approved") == []  # moved to Alice's step
    assert calls(flow, ALICE, text="bot no longer waits") == []
    assert calls(flow, ALICE, participants_added=[{"id": OTHER_BOT}]) == [(OTHER_BOT, "comment")]
    # rejection back to step 1 calls the step-1 bot again
    assert calls(flow, ALICE, approval_choice="rejected") == [
        (BOT, "comment"),
        (OTHER_BOT, "comment"),
    ]


def test_close_trigger(flow: Flow) -> None:
    flow.comment(ALICE, participants_added=[{"id": OTHER_BOT}])
    assert calls(flow, ALICE, action="finished") == [(BOT, "close"), (OTHER_BOT, "close")]
    assert calls(flow, ALICE, text="on a closed task", skip_auto_reopen=True) == []


def test_fired_bots_are_not_called(directory: Directory, flow: Flow) -> None:
    directory.people[BOT].fired = True
    assert calls(flow, ALICE, text="ping") == []


def test_bot_in_role_on_entered_step(directory: Directory) -> None:
    directory.roles[ROLE].member_ids.append(OTHER_BOT)
    applied = engine.create_task(
        directory, directory.people[ALICE], task_request({"form_id": ROLE_FORM}), T0, 5
    )
    assert bots_to_call(directory, None, applied.task, applied.events, ALICE) == [
        (OTHER_BOT, "comment")
    ]


def test_close_without_the_state_before(flow: Flow) -> None:
    """The outbox may pass no ``before``: close still reaches the bots the task concerned."""
    flow.comment(ALICE, participants_added=[{"id": OTHER_BOT}])
    applied = flow.comment(ALICE, action="finished")
    assert bots_to_call(flow.directory, None, applied.task, applied.events, ALICE) == [
        (BOT, "close"),
        (OTHER_BOT, "close"),
    ]
