"""Step semantics (DESIGN.md 3.5) and task creation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.state import (
    CommentAdded,
    Directory,
    FieldDef,
    StepDef,
    StepEntered,
    TaskClosed,
)

from .conftest import ALICE, BOB, BOT, CAROL, FORM, ROLE, ROLE_FORM, T0, Flow, start


def choices(flow: Flow, step: int) -> dict[int, str]:
    return {a.person_id: a.choice for a in flow.task.approvals[step - 1]}


def fill_required(flow: Flow) -> None:
    flow.comment(
        ALICE,
        field_updates=[
            {"id": 1, "value": "Laptop"},
            {"id": 22, "value": [{"cells": [{"id": 24, "value": 10}]}]},
        ],
    )


def test_approve_moves_step_by_step_and_closes_after_last(flow: Flow) -> None:
    fill_required(flow)
    applied = flow.comment(BOT, approval_choice="approved")
    assert applied.comment.body == {
        "approval_choice": "approved",
        "approval_step": 1,
        "changed_step": 2,
    }
    assert flow.task.current_step == 2
    applied = flow.comment(ALICE, approval_choice="approved")
    assert applied.comment.body["changed_step"] == 3
    applied = flow.comment(BOB, approval_choice="approved")
    assert "changed_step" not in applied.comment.body
    assert flow.task.is_closed and flow.task.current_step == 3
    entered = flow.task.step_entered_at
    assert entered[0] == T0 and len(entered) == 3
    assert flow.task.close_date is not None
    assert entered[0] < entered[1] < entered[2] < flow.task.close_date


def test_required_field_missing_when_leaving_the_step(flow: Flow) -> None:
    flow.comment(BOT, approval_choice="approved")  # Item is required from step 2, not 1
    snapshot = copy.deepcopy(flow.task)
    with pytest.raises(PyrusError) as caught:
        flow.comment(ALICE, approval_choice="approved")
    assert caught.value.code == "required_field_missing"
    assert flow.task == snapshot
    # filling it in the same comment is enough
    flow.comment(ALICE, approval_choice="approved", field_updates=[{"id": 1, "value": "x"}])
    assert flow.task.current_step == 3


def test_required_computed_fields_are_always_filled(directory: Directory) -> None:
    for field_id in (13, 16, 21, 28):
        directory.forms[FORM].fields[field_id - 1].required_step = 1
    flow = start(directory)
    flow.comment(BOT, approval_choice="approved")
    assert flow.task.current_step == 2


def test_required_table_column(flow: Flow) -> None:
    flow.comment(
        ALICE,
        field_updates=[
            {"id": 1, "value": "Laptop"},
            {"id": 22, "value": [{"cells": [{"id": 23, "value": "no amount"}]}]},
        ],
    )
    flow.comment(BOT, approval_choice="approved")
    flow.comment(ALICE, approval_choice="approved")
    with pytest.raises(PyrusError) as caught:
        flow.comment(BOB, approval_choice="approved")
    assert caught.value.code == "required_table_field_missing"


def test_all_approvers_of_a_step_must_approve(directory: Directory) -> None:
    flow = start(directory, form_id=ROLE_FORM)
    flow.comment(CAROL, approval_choice="approved")  # via the role
    assert flow.task.current_step == 2
    applied = flow.comment(ALICE, approval_choice="approved")
    assert flow.task.current_step == 2
    assert "changed_step" not in applied.comment.body
    assert choices(flow, 2) == {ALICE: "approved", BOB: "waiting"}
    flow.comment(BOB, approval_choice="approved")
    assert flow.task.is_closed


def test_reject_goes_back_one_step_and_rerequests(flow: Flow) -> None:
    fill_required(flow)
    flow.comment(BOT, approval_choice="approved")
    applied = flow.comment(ALICE, approval_choice="rejected", text="no")
    assert flow.task.current_step == 1
    assert applied.comment.body["reset_to_step"] == 1
    assert choices(flow, 1) == {BOT: "waiting"}
    assert choices(flow, 2) == {ALICE: "rejected"}
    assert StepEntered(7, 1, (BOT,)) in applied.events
    # step 1 approved again: Alice is asked again (her rejection is re-requested)
    flow.comment(BOT, approval_choice="approved")
    assert choices(flow, 2) == {ALICE: "waiting"}


def test_reject_on_step_one_stays(flow: Flow) -> None:
    applied = flow.comment(BOT, approval_choice="rejected")
    assert flow.task.current_step == 1
    assert applied.comment.body["reset_to_step"] == 1
    assert choices(flow, 1) == {BOT: "waiting"}
    assert not flow.task.is_closed


def test_acknowledged_and_revoked(flow: Flow) -> None:
    applied = flow.comment(BOT, approval_choice="acknowledged")
    assert choices(flow, 1) == {BOT: "acknowledged"}
    assert flow.task.current_step == 1
    assert applied.events == [CommentAdded(7, BOT)]
    flow.comment(ALICE, approval_choice="approved", approval_steps=[2])  # in advance
    assert choices(flow, 2) == {ALICE: "approved"}
    flow.comment(ALICE, approval_choice="revoked", approval_steps=[2])
    assert choices(flow, 2) == {ALICE: "waiting"}
    assert flow.comments[-1].body["approval_choice"] == "revoked"


def test_advance_approval_passes_the_step_at_once(flow: Flow) -> None:
    fill_required(flow)
    flow.comment(ALICE, approval_choice="approved", approval_steps=[2])
    applied = flow.comment(BOT, approval_choice="approved")
    assert flow.task.current_step == 3
    assert applied.comment.body["changed_step"] == 3
    assert [e for e in applied.events if isinstance(e, StepEntered)] == [StepEntered(7, 3, (BOB,))]


def test_non_approver_choice_is_refused(flow: Flow) -> None:
    with pytest.raises(PyrusError) as caught:
        flow.comment(ALICE, approval_choice="approved")  # Alice is on step 2, task on 1
    assert caught.value.code == "access_denied"
    assert caught.value.status == 403


def test_removing_the_last_waiting_approver_completes_the_step(directory: Directory) -> None:
    flow = start(directory, form_id=ROLE_FORM)
    flow.comment(CAROL, approval_choice="approved")
    flow.comment(ALICE, approval_choice="approved")
    applied = flow.comment(ALICE, approvals_removed=[[], [{"id": BOB}]])
    assert flow.task.is_closed
    assert TaskClosed(7, ALICE) in applied.events


def test_finish_reopen_and_auto_reopen(flow: Flow) -> None:
    applied = flow.comment(ALICE, action="finished")
    assert flow.task.is_closed and applied.events[-1] == TaskClosed(7, ALICE)
    applied = flow.comment(BOT, text="still closed", skip_auto_reopen=True)
    assert flow.task.is_closed
    applied = flow.comment(BOT, text="reopens")
    assert not flow.task.is_closed and flow.task.close_date is None
    assert "action" not in applied.comment.body
    flow.comment(ALICE, action="finished")
    applied = flow.comment(ALICE, action="reopened")
    assert not flow.task.is_closed
    assert applied.comment.body == {"action": "reopened"}


def test_reopen_after_last_step_rerequests_it(flow: Flow) -> None:
    fill_required(flow)
    flow.comment(BOT, approval_choice="approved")
    flow.comment(ALICE, approval_choice="approved")
    flow.comment(BOB, approval_choice="approved")
    applied = flow.comment(ALICE, text="one more thing")
    assert not flow.task.is_closed
    assert choices(flow, 3) == {BOB: "waiting"}
    assert StepEntered(7, 3, (BOB,)) in applied.events


def test_approval_on_task_kept_closed_moves_nothing(flow: Flow) -> None:
    flow.comment(ALICE, action="finished")
    flow.comment(BOT, approval_choice="approved", skip_auto_reopen=True)
    assert flow.task.is_closed and flow.task.current_step == 1
    assert choices(flow, 1) == {BOT: "approved"}


# --- creation -----------------------------------------------------------------------------


def create(directory: Directory, author: int = ALICE, **request: Any) -> engine.Applied:
    return engine.create_task(directory, directory.people[author], task_request(request), T0, 11)


def test_create_form_task(directory: Directory) -> None:
    applied = create(
        directory,
        form_id=FORM,
        fields=[{"id": 1, "value": "Chair"}, {"id": 13}],
        approvals=[[{"id": CAROL}], [], [{"email": "alice@acme.test"}]],
        subscribers=[{"id": BOB}],
    )
    task = applied.task
    assert (task.form_id, task.current_step, task.step_entered_at) == (FORM, 1, [T0])
    assert [[a.person_id for a in s] for s in task.approvals] == [
        [BOT, CAROL],
        [ALICE],
        [BOB, ALICE],
    ]
    assert all(a.choice == "waiting" for s in task.approvals for a in s)
    assert task.fields == {1: "Chair"}
    assert applied.comment.author_id == ALICE
    assert applied.comment.body["field_updates"] == [{"id": 1, "value": "Chair"}]
    assert applied.comment.body["approvals_added"][0] == [
        {"person_id": BOT, "step": 1},
        {"person_id": CAROL, "step": 1},
    ]
    assert applied.comment.body["subscribers_added"] == [BOB]
    assert applied.events == [CommentAdded(11, ALICE), StepEntered(11, 1, (BOT, CAROL))]


def test_create_simple_task(directory: Directory) -> None:
    applied = create(
        directory,
        text="Buy milk",
        subject="Errand",
        responsible={"id": BOT},
        participants=[{"email": "bob@acme.test"}],
        due_date="2026-03-05",
        attachments=["G-1"],
        list_ids=[3],
        parent_task_id=2,
    )
    task = applied.task
    assert (task.text, task.subject, task.responsible_id) == ("Buy milk", "Errand", BOT)
    assert task.participant_ids == [BOB]
    assert task.attachment_ids == [501] and task.list_ids == [3] and task.parent_task_id == 2
    assert task.form_id is None and task.current_step is None
    assert applied.events == [CommentAdded(11, ALICE)]
    assert applied.comment.body["reassigned_to"] == BOT


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({}, "text_missing"),
        ({"subject": "x"}, "text_missing"),
        ({"text": "a", "formatted_text": "b"}, "both_text_and_formatted_text_specified"),
        ({"form_id": 999}, "form_id_missing"),
        ({"form_id": "321"}, "invalid_value_format"),  # the request model: no text ids
        ({"form_id": FORM, "fields": [{"id": 999, "value": 1}]}, "invalid_field_id"),
        ({"form_id": FORM, "approvals": [[], [], [], [{"id": BOB}]]}, "invalid_step_number"),
        ({"text": "x", "responsible": {"id": 9999}}, "invalid_person_id"),
        (
            {"text": "x", "due": "2026-01-01T00:00:00Z", "due_date": "2026-01-01"},
            "either_due_date_or_due_can_be_set",
        ),
    ],
)
def test_create_errors(directory: Directory, request_: dict[str, Any], code: str) -> None:
    with pytest.raises(PyrusError) as caught:
        create(directory, **request_)
    assert caught.value.code == code


def test_create_respects_form_members(directory: Directory) -> None:
    directory.forms[FORM].member_ids = [BOB]
    with pytest.raises(PyrusError) as caught:
        create(directory, author=CAROL, form_id=FORM)
    assert caught.value.code == "access_denied_form"
    assert create(directory, author=BOB, form_id=FORM).task.form_id == FORM


def test_create_skips_a_first_step_without_approvers(directory: Directory) -> None:
    form = directory.forms[FORM]
    form.steps[0] = StepDef(1, "Nobody", [])
    form.fields = [FieldDef(1, "text", "Item")]
    applied = create(directory, form_id=FORM)
    assert applied.task.current_step == 2
    assert StepEntered(11, 2, (ALICE,)) in applied.events


def test_role_approver(directory: Directory) -> None:
    applied = create(directory, form_id=ROLE_FORM)
    assert applied.events[-1] == StepEntered(11, 1, (ROLE,))
