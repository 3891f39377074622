"""The official ``pyrus-api`` client, unchanged, on lists, inbox, calendar and announcements.

Lists are created through the API first (the Python client cannot create them; C# and TS do,
see ``api/test_lists.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from api.harness import ALICE, BOB, CAROL, RunningServer, person_client
from pyrus.models import entities, requests
from test_compat_pyrus_api import client_for, ok

pytestmark = pytest.mark.timeout(120)


def test_official_client_on_lists_inbox_calendar_announcements(
    module_server: RunningServer, tmp_path: Path
) -> None:
    server = module_server
    alice = client_for(server, ALICE["email"], ALICE["key"])
    bob = client_for(server, BOB["email"], BOB["key"])
    created = person_client(server, ALICE).put(
        "/v4/lists", json={"name": "Python list", "added_members": [BOB["id"]]}
    )
    list_id = created.json()["id"]
    assert [lst.name for lst in ok(bob.get_lists()).lists] == ["Python list"]

    # --- a task created into a list, another added by a comment, one removed again
    first = ok(bob.create_task(requests.CreateTaskRequest(text="first", list_ids=[list_id]))).task
    second = ok(bob.create_task(requests.CreateTaskRequest(text="second"))).task
    ok(
        bob.comment_task(
            second.id, requests.TaskCommentRequest(text="in", added_list_ids=[list_id])
        )
    )
    listed = ok(bob.get_task_list(list_id))
    assert [t.id for t in listed.tasks] == [first.id, second.id] and listed.has_more is False
    filtered = ok(
        bob.get_task_list(
            list_id,
            requests.TaskListRequest(
                include_archived=True, created_after=datetime(2000, 1, 1, tzinfo=UTC), item_count=1
            ),
        )
    )
    assert [t.id for t in filtered.tasks] == [first.id] and filtered.has_more is True
    ok(bob.comment_task(first.id, requests.TaskCommentRequest(removed_list_ids=[list_id])))
    assert [t.id for t in ok(bob.get_task_list(list_id)).tasks] == [second.id]
    refused = bob.create_task(requests.CreateTaskRequest(text="x", list_ids=[987654]))
    assert refused.error_code == "add_task_to_list_forbidden"

    # --- inbox with groups, calendar by due date
    due = requests.CreateTaskRequest(
        text="due", responsible=CAROL["id"], due_date=datetime(2031, 1, 15)
    )
    due_task = ok(bob.create_task(due)).task
    carol = client_for(server, CAROL["email"], CAROL["key"])
    inbox = ok(carol.get_inbox(tasks_count=10, group_tasks_count=5))
    assert due_task.id in [t.id for t in inbox.tasks] and inbox.task_groups == []
    calendar = ok(
        carol.get_calendar_tasks(
            requests.CalendarRequest(datetime(2031, 1, 1), datetime(2031, 2, 1))
        )
    )
    assert [t.id for t in calendar.tasks] == [due_task.id] and calendar.has_more is False

    # --- announcements with an uploaded file, a comment, the list
    path = tmp_path / "notes.txt"
    path.write_bytes(b"notes")
    guid = ok(alice.upload_file(str(path))).guid
    posted = ok(
        alice.create_announcement(
            requests.CreateAnnouncementRequest(
                text="Hello", attachments=[entities.NewFile(guid=guid)]
            )
        )
    ).announcement
    assert posted.text == "Hello" and posted.attachments[0].name == "notes.txt"
    comment = requests.AnnouncementCommentRequest(text="Thanks")
    commented = ok(bob.comment_announcement(posted.id, comment)).announcement
    assert [c.text for c in commented.comments] == ["Thanks"]
    assert ok(bob.get_announcement(posted.id)).announcement.comments[0].author.id == BOB["id"]
    assert [a.id for a in ok(bob.get_announcements(item_count=10)).announcements] == [posted.id]
