"""Invariants of the engine over random comment sequences (hypothesis).

- A rejected comment changes nothing: the input task is equal before and after, and nothing of
  the request is half-applied (the caller keeps the old state).
- An accepted comment never mutates its input either.
- A task never passes a step whose approvers have not all approved.
- A comment on a closed task reopens it, unless ``skip_auto_reopen`` (or ``finished``).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.state import CommentAdded, Directory, TaskState

from .conftest import ALICE, BOB, BOT, CAROL, FORM, ROLE, ROLE_FORM, T0, make_directory

AUTHORS = [ALICE, BOB, BOT, CAROL]
PEOPLE = [ALICE, BOB, BOT, CAROL, ROLE, 4242]  # 4242 does not exist

field_entries = st.sampled_from(
    [
        {"id": 1, "value": "Laptop"},
        {"id": 1, "value": None},
        {"id": 1, "value": 3},  # bad
        {"code": "u_amount", "value": 10.5},
        {"id": 2, "value": 1.234},  # bad
        {"id": 17, "value": {"item_id": 1}},
        {"id": 17, "value": {"item_ids": [1, 2]}},  # bad
        {"id": 22, "value": [{"cells": [{"id": 24, "value": 3}]}]},
        {"id": 22, "value": [{"row_id": 0, "delete": True}]},  # bad unless a row 0 exists
        {"id": 26, "value": "Main"},
        {"id": 23, "value": "x"},  # bad: in a table
        {"id": 13, "value": 5},  # read-only, ignored
        {"id": 31, "value": "decision"},  # immutable from step 2
        {"name": "Nope", "value": 1},  # bad
    ]
)
people = st.builds(lambda pid: {"id": pid}, st.sampled_from(PEOPLE))
per_step = st.lists(st.lists(people, max_size=2), max_size=4)

fragments: dict[str, st.SearchStrategy[Any]] = {
    "text": st.sampled_from(["ok", "", "see comment"]),
    "formatted_text": st.just("<b>x</b>"),
    "approval_choice": st.sampled_from(
        ["approved", "approved", "rejected", "acknowledged", "revoked", "nope"]
    ),
    "approval_steps": st.lists(st.integers(0, 4), min_size=1, max_size=2),
    "action": st.sampled_from(["finished", "reopened"]),
    "reassign_to": people,
    "participants_added": st.lists(people, max_size=2),
    "subscribers_added": st.lists(people, max_size=2),
    "approvals_added": per_step,
    "approvals_removed": per_step,
    "approvals_rerequested": per_step,
    "field_updates": st.lists(field_entries, max_size=3),
    "attachments": st.lists(st.sampled_from(["G-1", "G-2", "G-404"]), max_size=2),
    "due_date": st.sampled_from(["2026-04-01", "bad"]),
    "due": st.just("2026-04-01T10:00:00Z"),
    "duration": st.integers(-1, 60),
    "skip_auto_reopen": st.booleans(),
    "spent_minutes": st.integers(-1, 30),
}

any_request = st.dictionaries(st.sampled_from(sorted(fragments)), st.none(), max_size=5).flatmap(
    lambda keys: st.fixed_dictionaries({k: fragments[k] for k in keys})
)
decision = st.fixed_dictionaries(
    {"approval_choice": st.sampled_from(["approved", "approved", "rejected"])},
    optional={
        "field_updates": st.lists(field_entries, max_size=2),
        "skip_auto_reopen": st.booleans(),
        "text": st.just("done"),
        "approvals_removed": per_step,
    },
)
requests = st.one_of(any_request, decision)
WAITING = 0  # stands for "someone the current step waits for"
steps = st.lists(
    st.tuples(st.sampled_from([*AUTHORS, WAITING, WAITING]), requests), min_size=1, max_size=8
)


def pick_author(task: TaskState, choice: int) -> int:
    if choice != WAITING:
        return choice
    step = task.current_step or 1
    waiting = [a.person_id for a in task.approvals[step - 1] if a.choice == "waiting"]
    if not waiting:
        return ALICE
    return CAROL if waiting[0] == ROLE else waiting[0]


def new_task(directory: Directory, form_id: int) -> TaskState:
    author = directory.people[ALICE]
    return engine.create_task(directory, author, task_request({"form_id": form_id}), T0, 1).task


def check_no_skipped_step(before: TaskState, after: TaskState, request: dict[str, Any]) -> None:
    if before.is_closed or before.current_step is None or after.current_step is None:
        return
    passed = range(before.current_step, after.current_step)
    if after.is_closed and request.get("action") != "finished":
        passed = range(before.current_step, len(after.approvals) + 1)
    for step in passed:
        entries = after.approvals[step - 1]
        assert all(a.choice == "approved" for a in entries), (step, entries)


def check_auto_reopen(before: TaskState, after: TaskState, request: dict[str, Any]) -> None:
    if not before.is_closed:
        return
    closing = (
        request.get("action") == "finished"
        or request.get("approval_choice") == "approved"
        or bool(request.get("approvals_removed"))
    )
    if request.get("skip_auto_reopen") and request.get("action") != "reopened":
        assert after.is_closed
    elif not closing:
        assert not after.is_closed


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(form_id=st.sampled_from([FORM, ROLE_FORM]), sequence=steps)
def test_random_comment_sequences_keep_the_invariants(
    form_id: int, sequence: list[tuple[int, dict[str, Any]]]
) -> None:
    directory = make_directory()
    task = new_task(directory, form_id)
    now = T0
    for author_choice, request in sequence:
        author_id = pick_author(task, author_choice)
        now += timedelta(minutes=1)
        snapshot = copy.deepcopy(task)
        try:
            applied = engine.apply_comment(
                directory, task, directory.people[author_id], comment_request(request), now
            )
        except PyrusError as error:
            event(f"refused: {error.code}")
            assert task == snapshot
            continue
        event("accepted")
        if applied.task.current_step != snapshot.current_step or applied.task.is_closed:
            event("moved or closed")
        assert task == snapshot  # the input is never mutated
        check_no_skipped_step(snapshot, applied.task, request)
        check_auto_reopen(snapshot, applied.task, request)
        assert applied.task.last_modified_date == now
        assert applied.events[0] == CommentAdded(task.id, author_id)  # always first
        task = applied.task


@settings(max_examples=60, deadline=None)
@given(choices=st.lists(st.sampled_from(["approved", "rejected", "acknowledged"]), max_size=12))
def test_the_task_visits_steps_in_order(choices: list[str]) -> None:
    """Whoever waits answers; the step moves by at most one and only on full approval."""
    directory = make_directory()
    task = new_task(directory, FORM)
    task.fields[1] = "filled"
    now = T0
    for choice in choices:
        if task.is_closed:
            break
        step = task.current_step or 1
        approver = task.approvals[step - 1][0].person_id
        now += timedelta(minutes=1)
        applied = engine.apply_comment(
            directory,
            task,
            directory.people[approver],
            comment_request({"approval_choice": choice}),
            now,
        )
        new = applied.task
        if choice == "approved":
            assert new.current_step == step + 1 or (new.is_closed and step == 3)
            assert applied.comment.body.get("changed_step") == (None if new.is_closed else step + 1)
        elif choice == "rejected":
            assert new.current_step == max(1, step - 1)
            assert applied.comment.body["reset_to_step"] == max(1, step - 1)
        else:
            assert new.current_step == step
        task = new
