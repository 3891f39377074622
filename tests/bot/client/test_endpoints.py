"""Every typed method of both clients against the fake API served over loopback HTTP:
the path and body that reach the server, and the typed answer."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from pyrus_bots.protocol import CommentRequest, CreateTaskRequest, Task, TaskWithComments
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import Client, invoke

Build = Callable[..., Client]


@pytest.fixture
def client(make_client: Build, fake_url: str) -> Client:
    return make_client("webhook-token", platform=fake_url)


def last_call(fake: FakePyrusAPI) -> tuple[str, str, Any]:
    call = fake.calls[-1]
    return call.method, call.path, call.json


async def test_get_task(client: Client, fake: FakePyrusAPI) -> None:
    task = await invoke(client, "get_task", 5)
    assert isinstance(task, TaskWithComments)
    assert task.id == 5
    assert task.field("u_amount").value == 120.5  # type: ignore[union-attr]
    assert last_call(fake) == ("GET", "/v4/tasks/5", None)


async def test_comment_task_with_dict_moves_the_task(client: Client, fake: FakePyrusAPI) -> None:
    comment = {
        "text": "Checked",
        "approval_choice": "approved",
        "field_updates": [{"code": "u_item", "value": "A4 paper"}],
    }
    task = await invoke(client, "comment_task", 5, comment)
    assert last_call(fake) == ("POST", "/v4/tasks/5/comments", comment)
    assert fake.comments(5) == [comment]
    assert task.current_step == 2
    assert task.field("u_item").value == "A4 paper"
    newest = task.comments[-1]
    assert newest.text == "Checked"
    assert newest.author.id == fake.bot["id"]


async def test_comment_task_with_model(client: Client, fake: FakePyrusAPI) -> None:
    request = CommentRequest(text="No", approval_choice="rejected")
    await invoke(client, "comment_task", 5, request)
    assert fake.comments(5) == [{"text": "No", "approval_choice": "rejected"}]


async def test_create_task(client: Client, fake: FakePyrusAPI) -> None:
    request = CreateTaskRequest(form_id=321, fields=[{"id": 1, "value": "Pens"}])
    task = await invoke(client, "create_task", request)
    method, path, body = last_call(fake)
    assert (method, path) == ("POST", "/v4/tasks")
    assert body == {"form_id": 321, "fields": [{"id": 1, "value": "Pens"}]}
    assert task.id in fake.tasks
    assert task.field(1).value == "Pens"
    simple = await invoke(client, "create_task", {"text": "Call the supplier"})
    assert simple.text == "Call the supplier"


async def test_forms(client: Client, fake: FakePyrusAPI) -> None:
    forms = await invoke(client, "get_forms")
    assert [form.id for form in forms] == [321]
    form = await invoke(client, "get_form", 321)
    assert form.steps == {"1": "Check", "2": "Manager"}
    assert last_call(fake)[:2] == ("GET", "/v4/forms/321")


async def test_registry_filters_and_csv(client: Client, fake: FakePyrusAPI) -> None:
    tasks = await invoke(
        client,
        "get_registry",
        321,
        steps=1,
        task_ids=[5, 6],
        include_archived=True,
        field_filters={2: "120.5"},
        modified_after=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert [task.id for task in tasks] == [5]
    assert all(type(task) is Task for task in tasks)
    method, path, body = last_call(fake)
    assert (method, path) == ("POST", "/v4/forms/321/register")
    assert body == {
        "steps": [1],
        "task_ids": [5, 6],
        "include_archived": True,
        "fld2": "120.5",
        "modified_after": "2026-01-02T03:04:05Z",
    }
    assert await invoke(client, "get_registry", 321, steps=[2]) == []
    text = await invoke(client, "get_registry", 321, format="csv", fld1=["Paper", "Pens"])
    assert text.splitlines() == ["Task ID,Item,Amount", "5,Paper,120.5"]
    assert last_call(fake)[2] == {"format": "csv", "fld1": "Paper,Pens"}


async def test_catalogs(client: Client, fake: FakePyrusAPI) -> None:
    infos = await invoke(client, "get_catalogs")
    assert [info.catalog_id for info in infos] == [4001]
    catalog = await invoke(client, "get_catalog", 4001, filters={"Code": "CC2"})
    assert [item.values for item in catalog.items] == [["CC2", "Sales"]]
    assert fake.calls[-1].path == ("/v4/catalogs/4001?include_deleted=false&column=Code&value=CC2")
    created = await invoke(client, "create_catalog", "Colors", ["Key", "Name"], [["r", "Red"]])
    assert fake.calls[-1].json == {
        "name": "Colors",
        "catalog_headers": ["Key", "Name"],
        "items": [{"values": ["r", "Red"]}],
    }
    assert fake.calls[-1].method == "PUT"
    assert [item.values for item in created.items] == [["r", "Red"]]

    synced = await invoke(
        client, "sync_catalog", 4001, ["Code", "Name"], [["CC1", "Marketing"], ["CC3", "R&D"]]
    )
    assert [item.values for item in synced.added] == [["CC3", "R&D"]]
    assert [item.values for item in synced.deleted] == [["CC2", "Sales"]]
    diff = await invoke(client, "diff_catalog", 4001, upsert=[["CC1", "Brand"]], delete=["CC3"])
    assert fake.calls[-1][:3] == (
        "POST",
        "/v4/catalogs/4001/diff",
        {"upsert": [{"values": ["CC1", "Brand"]}], "delete": ["CC3"]},
    )
    assert [item.values for item in diff.updated] == [["CC1", "Brand"]]
    remaining = await invoke(client, "get_catalog", 4001)
    assert [item.values for item in remaining.items] == [["CC1", "Brand"]]
    with_deleted = await invoke(client, "get_catalog", 4001, include_deleted=True)
    assert len(with_deleted.items) == 3


async def test_files_round_trip(client: Client, fake: FakePyrusAPI) -> None:
    content = bytes(range(256)) * 40
    uploaded = await invoke(client, "upload_file", "scan.bin", content)
    upload_call = fake.calls[-1]
    assert (upload_call.method, upload_call.path) == ("POST", "/v4/files/upload")
    assert upload_call.headers["content-type"].startswith("multipart/form-data")
    task = await invoke(
        client, "comment_task", 5, {"text": "scan", "attachments": [{"guid": uploaded.guid}]}
    )
    attached = task.comments[-1].attachments[0]
    assert attached.name == "scan.bin"
    assert attached.size == len(content)
    downloaded = await invoke(client, "download_file", attached.id)
    assert downloaded == content
    assert fake.calls[-1].path == f"/services/attachment?Id={attached.id}"

    from_file = await invoke(client, "upload_file", "note.txt", io.BytesIO(b"hello"))
    assert from_file.md5_hash == "5d41402abc4b2a76b9719d911017c592"


async def test_people(client: Client, fake: FakePyrusAPI) -> None:
    organizations = await invoke(client, "get_contacts")
    assert fake.calls[-1].path == "/v4/contacts?include_inactive=false"
    assert {person.email for person in organizations[0].persons} >= {"alice@acme.test"}
    assert [role.name for role in await invoke(client, "get_roles")] == ["Managers"]
    members = await invoke(client, "get_members")
    assert [member.id for member in members] == [1001]
    member = await invoke(client, "get_member", 1001)
    assert member.first_name == "Alice"
    profile = await invoke(client, "get_profile")
    assert profile.person_id == fake.bot["id"]
    bots = await invoke(client, "get_bots")
    assert [bot.id for bot in bots] == [fake.bot["id"]]


async def test_inbox_and_lists(client: Client, fake: FakePyrusAPI) -> None:
    inbox = await invoke(client, "get_inbox", item_count=10)
    assert [task.id for task in inbox.tasks] == [5]
    assert fake.calls[-1].path == "/v4/inbox?item_count=10&group_item_count=50"
    lists = await invoke(client, "get_lists")
    assert [task_list.id for task_list in lists] == [77]
    listed = await invoke(client, "get_task_list", 77, item_count=5, include_archived=True)
    assert [task.id for task in listed.tasks] == [5]
    assert listed.has_more is False
    assert fake.calls[-1].path == "/v4/lists/77/tasks?item_count=5&include_archived=y"


async def test_raw_request_escape_hatch(client: Client, fake: FakePyrusAPI) -> None:
    answer = await invoke(client, "request", "GET", "/tasks/5")
    assert answer["task"]["id"] == 5
