"""apply_comment: every key of the comment request (spec 2.2) and its error codes."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import (
    Approval,
    CommentAdded,
    Directory,
    StepEntered,
    TaskClosed,
)

from .conftest import ALICE, BOB, BOT, CAROL, OTHER_BOT, ROLE, T0, Flow


def refused(flow: Flow, author: int, code: str, **request: Any) -> PyrusError:
    snapshot = copy.deepcopy(flow.task)
    with pytest.raises(PyrusError) as caught:
        flow.comment(author, **request)
    assert caught.value.code == code, caught.value.message
    assert flow.task == snapshot
    return caught.value


def test_text_subject_and_events(flow: Flow) -> None:
    applied = flow.comment(BOT, text="Looks fine", subject="Laptop for Bob")
    assert applied.comment.body == {"text": "Looks fine", "subject": "Laptop for Bob"}
    assert applied.comment.author_id == BOT
    assert applied.task.subject == "Laptop for Bob"
    assert applied.task.last_modified_date == flow.clock
    assert applied.events == [CommentAdded(7, BOT)]


def test_formatted_text(flow: Flow) -> None:
    applied = flow.comment(BOT, formatted_text="<b>ok</b>")
    assert applied.comment.body == {"formatted_text": "<b>ok</b>"}


def test_input_task_is_not_mutated(directory: Directory, flow: Flow) -> None:
    before = copy.deepcopy(flow.task)
    original = flow.task
    engine.apply_comment(
        directory,
        original,
        directory.people[BOT],
        comment_request(
            {"approval_choice": "approved", "field_updates": [{"id": 1, "value": "x"}]}
        ),
        T0,
    )
    assert original == before


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"text": "a", "formatted_text": "b"}, "both_text_and_formatted_text_specified"),
        ({}, "empty_body"),
        ({"skip_auto_reopen": True, "channel": {"type": "email"}}, "empty_body"),
        ({"field_updates": []}, "empty_body"),
        # Types are checked by the request model, as the API always answered them.
        ({"text": 5}, "invalid_value_format"),
        ({"participants_added": {"id": 1}}, "invalid_value_format"),
        (
            {"due_date": "2026-04-01", "due": "2026-04-01T10:00:00Z"},
            "either_due_date_or_due_can_be_set",
        ),
        ({"duration": 30}, "due_missing"),
        ({"due": "2026-04-01T10:00:00Z", "duration": -1}, "negative_duration"),
        ({"due_date": "tomorrow"}, "invalid_value_format"),
        ({"attachments": ["nope"]}, "unrecognized_attachment_id"),
        ({"attachments": [{"attachment_id": 9}]}, "unrecognized_attachment_id"),
        ({"reassign_to": {"id": 4242}}, "invalid_person_id"),
        ({"participants_added": [{"email": "x@y.z"}]}, "invalid_email"),
        ({"approvals_added": [[], [], [], [{"id": BOB}]]}, "invalid_step_number"),
        ({"approval_choice": "approved", "approval_steps": [4]}, "invalid_step_number"),
        ({"approval_choice": "maybe"}, "invalid_value_format"),
        ({"action": "deleted"}, "invalid_value_format"),
        ({"spent_minutes": -3}, "validation_error"),
        ({"edit_comment_id": 99, "text": "x"}, "validation_error"),
        ({"edit_comment_id": 1, "text": "x"}, "access_denied"),  # comment 1 is Alice's
    ],
)
def test_request_errors(flow: Flow, request_: dict[str, Any], code: str) -> None:
    refused(flow, BOT, code, **request_)


def test_outsider_cannot_comment(flow: Flow) -> None:
    refused(flow, CAROL, "access_denied_task", text="hi")
    refused(flow, OTHER_BOT, "access_denied_task", text="hi")


def test_people_edits(flow: Flow) -> None:
    applied = flow.comment(
        ALICE,
        reassign_to={"email": "bob@acme.test"},
        participants_added=[{"id": CAROL}, {"id": OTHER_BOT}],
        subscribers_added=[{"id": CAROL}],
    )
    assert applied.task.responsible_id == BOB
    assert applied.task.participant_ids == [CAROL, OTHER_BOT]
    assert applied.task.subscribers == [Approval(CAROL)]
    assert applied.comment.body == {
        "reassigned_to": BOB,
        "participants_added": [CAROL, OTHER_BOT],
        "subscribers_added": [CAROL],
    }
    flow.comment(CAROL, approval_choice="acknowledged")  # subscriber acknowledges
    assert flow.task.subscribers == [Approval(CAROL, "acknowledged")]
    applied = flow.comment(
        ALICE,
        participants_removed=[{"id": CAROL}],
        subscribers_rerequested=[{"id": CAROL}],
    )
    assert applied.task.participant_ids == [OTHER_BOT]
    assert applied.task.subscribers == [Approval(CAROL)]
    applied = flow.comment(ALICE, subscribers_removed=[{"id": CAROL}])
    assert applied.task.subscribers == []


def test_approval_lists_per_step(flow: Flow) -> None:
    applied = flow.comment(ALICE, approvals_added=[[], [{"id": CAROL}, {"id": ROLE}], []])
    assert [a.person_id for a in applied.task.approvals[1]] == [ALICE, CAROL, ROLE]
    assert applied.comment.body["approvals_added"] == [
        [],
        [{"person_id": CAROL, "step": 2}, {"person_id": ROLE, "step": 2}],
        [],
    ]
    flow.comment(BOT, approval_choice="approved", approval_steps=[1])
    flow.comment(CAROL, approval_choice="approved")
    applied = flow.comment(ALICE, approvals_rerequested=[[], [{"id": CAROL}]])
    choices = {a.person_id: a.choice for a in applied.task.approvals[1]}
    assert choices[CAROL] == "waiting"
    applied = flow.comment(ALICE, approvals_removed=[[], [{"id": CAROL}, {"id": BOB}]])
    assert [a.person_id for a in applied.task.approvals[1]] == [ALICE, ROLE]
    assert applied.comment.body["approvals_removed"] == [[], [{"person_id": CAROL, "step": 2}]]


def test_attachments_dates_lists_and_flags(flow: Flow) -> None:
    applied = flow.comment(
        BOT,
        attachments=["G-1", {"guid": "G-2"}, {"attachment_id": 501}],
        due="2026-04-01T10:00:00Z",
        duration=90,
        scheduled_date="2026-03-20",
        added_list_ids=[5, 6],
        spent_minutes=15,
        channel={"type": "email", "to": "x@y.z"},
        skip_notification=True,
    )
    task = applied.task
    assert task.attachment_ids == [501, 502]
    assert task.due == datetime(2026, 4, 1, 10, tzinfo=UTC)
    assert task.duration == 90
    assert task.scheduled_date == date(2026, 3, 20)
    assert task.list_ids == [5, 6]
    assert task.spent_minutes == 15
    assert applied.comment.body == {
        "attachments": [501, 502],
        "due": "2026-04-01T10:00:00Z",
        "duration": 90,
        "scheduled_date": "2026-03-20",
        "added_list_ids": [5, 6],
        "spent_minutes": 15,
        "channel": {"type": "email", "to": "x@y.z"},
        "skip_notification": True,
    }
    applied = flow.comment(
        BOT, duration=30, removed_list_ids=[5], cancel_schedule=True, spent_minutes=5
    )
    assert (applied.task.duration, applied.task.list_ids) == (30, [6])
    assert applied.task.scheduled_date is None
    assert applied.task.spent_minutes == 20
    applied = flow.comment(BOT, due_date="2026-05-01")
    assert (applied.task.due_date, applied.task.due, applied.task.duration) == (
        date(2026, 5, 1),
        None,
        None,
    )
    applied = flow.comment(BOT, cancel_due=True)
    assert applied.task.due_date is None
    assert applied.comment.body == {"cancel_due": True}


def test_edit_comment(flow: Flow) -> None:
    flow.comment(BOT, text="typo")
    applied = flow.comment(BOT, edit_comment_id=2, text="fixed")
    assert applied.comment.body == {"text": "fixed", "edit_comment_id": 2}
    assert applied.edited_comment is not None
    assert applied.edited_comment.id == 2
    assert applied.edited_comment.body == {"text": "fixed"}
    assert flow.comments[1].body == {"text": "fixed"}


def test_comment_renders_with_people_and_fields(flow: Flow) -> None:
    flow.comment(
        ALICE,
        text="see",
        reassign_to={"id": BOB},
        approvals_added=[[], [], [{"id": CAROL}]],
        field_updates=[{"id": 17, "value": {"item_id": 1}}],
        attachments=["G-1"],
    )
    task = render_task(flow.directory, flow.task, flow.comments)
    last = task["comments"][-1]
    assert last["author"]["id"] == ALICE
    assert last["reassigned_to"]["email"] == "bob@acme.test"
    assert last["approvals_added"][2] == [
        {
            "person": {
                "id": CAROL,
                "first_name": "Carol",
                "last_name": "White",
                "email": "carol@acme.test",
                "type": "user",
            },
            "step": 3,
        }
    ]
    assert last["approvals_added"][0] == []
    assert last["field_updates"][0]["type"] == "catalog"
    assert last["field_updates"][0]["value"]["item_names"] == ["CC1"]
    assert last["attachments"][0]["id"] == 501
    assert task["last_note_id"] == 2
    assert task["responsible"]["id"] == BOB
    only_last = render_task(flow.directory, flow.task, flow.comments, only_last_comment=True)
    assert [c["id"] for c in only_last["comments"]] == [2]
    assert "comments" not in render_task(
        flow.directory, flow.task, flow.comments, with_comments=False
    )


def test_step_entered_and_closed_events(flow: Flow) -> None:
    flow.comment(BOT, field_updates=[{"id": 1, "value": "Laptop"}])
    applied = flow.comment(BOT, approval_choice="approved")
    assert applied.events == [CommentAdded(7, BOT), StepEntered(7, 2, (ALICE,))]
    flow.comment(ALICE, approval_choice="approved")
    flow.comment(ALICE, field_updates=[{"id": 22, "value": [{"cells": [{"id": 24, "value": 1}]}]}])
    applied = flow.comment(BOB, approval_choice="approved")
    assert applied.events == [CommentAdded(7, BOB), TaskClosed(7, BOB)]
    assert applied.task.is_closed
    assert applied.task.close_date == flow.clock
    assert applied.task.current_step == 3


def test_previous_note_id_applies_only_to_the_task_the_sender_saw(flow: Flow) -> None:
    flow.task.last_note_id = 1
    refused(flow, BOT, "conflict", text="too late", previous_note_id=0)
    applied = flow.comment(BOT, text="in time", previous_note_id=1)
    assert applied.comment.body == {"text": "in time"}
