"""Property: whatever chain of builder calls succeeds, the platform's own comment-request
validation accepts what the reply renders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrus_bots.bot import Reply, ReplyError
from pyrus_bots.protocol import parse_comment_request

from .conftest import purchase_form, purchase_task

TASK = purchase_task()
FORM = purchase_form()
people = st.one_of(st.integers(1, 10**6), st.emails())
steps = st.integers(1, 4)

CALLS: list[st.SearchStrategy[tuple[str, tuple[Any, ...]]]] = [
    st.tuples(st.just("set_text"), st.tuples(st.text(max_size=20))),
    st.tuples(st.just("set_formatted_text"), st.tuples(st.text(max_size=20))),
    st.tuples(st.just("set_subject"), st.tuples(st.text(min_size=1, max_size=20))),
    st.tuples(
        st.just("set_approval"),
        st.tuples(st.sampled_from(["approved", "rejected", "acknowledged", "revoked"])),
    ),
    st.tuples(st.just("add_approvers"), st.tuples(steps, people)),
    st.tuples(st.just("remove_approvers"), st.tuples(steps, people)),
    st.tuples(st.just("rerequest_approvals"), st.tuples(steps, people)),
    st.tuples(st.just("reassign"), st.tuples(people)),
    st.tuples(st.just("add_participants"), st.tuples(people, people)),
    st.tuples(st.just("add_subscribers"), st.tuples(people)),
    st.tuples(st.just("remove_subscribers"), st.tuples(people)),
    st.tuples(
        st.just("set_due"),
        st.tuples(st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC))),
    ),
    st.tuples(st.just("set_due_date"), st.tuples(st.dates(min_value=date(2000, 1, 1)))),
    st.tuples(st.just("cancel_due"), st.just(())),
    st.tuples(st.just("schedule"), st.tuples(st.dates(min_value=date(2000, 1, 1)))),
    st.tuples(st.just("attach"), st.tuples(st.uuids().map(str))),
    st.tuples(st.just("add_to_lists"), st.tuples(st.integers(1, 100))),
    st.tuples(st.just("spent"), st.tuples(st.integers(0, 600))),
    st.tuples(st.just("skip_notification"), st.just(())),
    st.tuples(st.just("close"), st.just(())),
    st.tuples(st.just("reopen"), st.just(())),
    st.tuples(st.just("edit_comment"), st.tuples(st.integers(1, 10**12))),
    st.tuples(st.just("set_field"), st.tuples(st.just("u_amount"), st.integers(-(10**6), 10**6))),
    st.tuples(
        st.just("set_field"),
        st.tuples(st.just("u_status"), st.sampled_from(["New", "Approved", "Rejected"])),
    ),
    st.tuples(st.just("set_field"), st.tuples(st.just("u_urgent"), st.booleans())),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(*CALLS), max_size=8))
def test_any_successful_chain_renders_a_valid_comment_request(
    calls: list[tuple[str, tuple[Any, ...]]],
) -> None:
    reply = Reply()
    for name, args in calls:
        try:
            getattr(reply, name)(*args)
        except ReplyError:
            continue  # a rule said no (e.g. text after formatted_text): the reply is unchanged
    wire = reply.to_dict(TASK, form=FORM)
    request = parse_comment_request(wire) if wire else None
    if request is not None:
        assert request.to_pyrus().get("approval_choice") == wire.get("approval_choice")
