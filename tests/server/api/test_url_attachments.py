"""Attachments by URL (``{"url", "name"}``): the platform fetches the file from a real HTTP
server on loopback (the default hook URL policy allows loopback) and attaches it like an upload;
every failure is a 400 and applies nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.file_clients import CLIENTS, client_request, download
from api.file_origin import CONTENT, NAMED, RECEIPT, FileOrigin, serve_files
from api.harness import BOB, BOT_ID, FORM_ID, RunningServer, assert_error, person_client
from pyrus_bots.server.store import files as file_store

MAX_BYTES = 3 * 1024 * 1024
SERVER_SETTINGS = {"url_attachment_timeout": 1.0, "url_attachment_max_bytes": MAX_BYTES}


@pytest.fixture(scope="module")
def origin() -> Iterator[FileOrigin]:
    with serve_files() as running:
        yield running


def file_count(server: RunningServer) -> int:
    async def count(database: Any) -> int:
        async with database.session() as session:
            return len(await file_store.list_files(session))

    return server.call(count)


def simple_task(client: httpx.Client) -> dict[str, Any]:
    response = client.post("/v4/tasks", json={"text": "Files", "participants": [{"id": BOT_ID}]})
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    return task


@pytest.mark.parametrize("client_name", CLIENTS)
def test_clients_attach_files_by_url(
    tuned_module_server: RunningServer, origin: FileOrigin, client_name: str
) -> None:
    server = tuned_module_server
    bob = person_client(server, BOB)
    url = {"origin": origin.base_url}
    created = bob.post("/v4/tasks", json=client_request(client_name, "create_task_with_url", **url))
    assert created.status_code == 200, created.text
    [attachment] = created.json()["task"]["attachments"]
    assert attachment["name"] == "Invoice March.pdf"
    assert attachment["size"] == len(CONTENT) and attachment["version"] == 1
    assert download(bob, attachment["id"]) == CONTENT

    # On a form task: the C# client always sends field_updates, which a simple task refuses.
    form_task = bob.post("/v4/tasks", json={"form_id": FORM_ID}).json()["task"]
    commented = bob.post(
        f"/v4/tasks/{form_task['id']}/comments",
        json=client_request(client_name, "comment_with_url", **url),
    )
    assert commented.status_code == 200, commented.text
    comment = commented.json()["task"]["comments"][-1]
    [fetched] = comment["attachments"]
    assert fetched["name"] == "Invoice March.pdf" and fetched["id"] != attachment["id"]
    assert download(bob, fetched["id"]) == CONTENT

    in_field = bob.post(
        f"/v4/tasks/{form_task['id']}/comments",
        json=client_request(client_name, "comment_url_in_file_field", **url),
    )
    assert in_field.status_code == 200, in_field.text
    [receipt] = next(f for f in in_field.json()["task"]["fields"] if f["id"] == 18)["value"]
    assert receipt["name"] == "receipt.png"  # no name given: the URL path's last segment
    assert download(bob, receipt["id"]) == RECEIPT

    announced = bob.post(
        "/v4/announcements", json=client_request(client_name, "announcement_with_url", **url)
    )
    assert announced.status_code == 200, announced.text
    [on_announcement] = announced.json()["announcement"]["attachments"]
    assert on_announcement["name"] == "Invoice March.pdf"
    assert download(bob, on_announcement["id"]) == CONTENT


def test_name_rules(tuned_module_server: RunningServer, origin: FileOrigin) -> None:
    bob = person_client(tuned_module_server, BOB)
    task_id = simple_task(bob)["id"]
    attachments = [
        {"url": f"{origin.base_url}/files/%D0%9E%D1%82%D1%87%D1%91%D1%82.bin?v=2"},
        {"url": f"{origin.base_url}/named/"},
        {"url": f"{origin.base_url}/files/ignored.bin", "name": "Given name.bin"},
        {"url": f"{origin.base_url}/files/ignored.bin", "name": ""},
    ]
    response = bob.post(f"/v4/tasks/{task_id}/comments", json={"attachments": attachments})
    assert response.status_code == 200, response.text
    names = [a["name"] for a in response.json()["task"]["comments"][-1]["attachments"]]
    assert names == ["Отчёт.bin", "from-header.txt", "Given name.bin", "ignored.bin"]
    named = response.json()["task"]["comments"][-1]["attachments"][1]
    assert download(bob, named["id"]) == NAMED
    too_long = {"url": f"{origin.base_url}/files/a", "name": "n" * 256}
    assert_error(
        bob.post(f"/v4/tasks/{task_id}/comments", json={"attachments": [too_long]}),
        400,
        "max_file_name_length_exceeded",
    )


def _refused_changes_nothing(
    server: RunningServer, origin: FileOrigin, url: str, code: str
) -> dict[str, Any]:
    bob = person_client(server, BOB)
    task = simple_task(bob)
    before = bob.get(f"/v4/tasks/{task['id']}").json()["task"]
    files_before = file_count(server)
    body = assert_error(
        bob.post(
            f"/v4/tasks/{task['id']}/comments",
            json={
                "text": "must not stay",
                "attachments": [{"url": f"{origin.base_url}/files/fine.txt"}, {"url": url}],
            },
        ),
        400,
        code,
    )
    assert "127.0.0.1" not in body["error"] and "secret" not in body["error"]
    after = bob.get(f"/v4/tasks/{task['id']}").json()["task"]
    assert after == before
    assert file_count(server) == files_before
    # A new task with that URL is not created either.
    assert_error(
        bob.post("/v4/tasks", json={"text": "x", "attachments": [{"url": url}]}), 400, code
    )
    return body


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (f"/big?bytes={MAX_BYTES + 1}", "attachment_too_big"),
        ("/slow", "unrecognized_attachment_id"),
        ("/missing?token=secret", "unrecognized_attachment_id"),
        ("/redirect", "unrecognized_attachment_id"),
        ("/empty", "empty_file"),
    ],
)
def test_failures_apply_nothing(
    tuned_module_server: RunningServer, origin: FileOrigin, path: str, code: str
) -> None:
    body = _refused_changes_nothing(tuned_module_server, origin, origin.base_url + path, code)
    if path == "/slow":
        assert "within 1 s" in body["error"]
    if path.startswith("/missing"):
        assert "HTTP 404" in body["error"]


def test_at_the_limit_is_accepted(tuned_module_server: RunningServer, origin: FileOrigin) -> None:
    bob = person_client(tuned_module_server, BOB)
    task_id = simple_task(bob)["id"]
    url = f"{origin.base_url}/big?bytes={MAX_BYTES}"
    response = bob.post(f"/v4/tasks/{task_id}/comments", json={"attachments": [{"url": url}]})
    assert response.status_code == 200, response.text
    [stored] = response.json()["task"]["comments"][-1]["attachments"]
    assert stored["size"] == MAX_BYTES and stored["name"] == "big"
    assert download(bob, stored["id"]) == b"b" * MAX_BYTES


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://[::ffff:169.254.169.254]/",  # the same inside an IPv6 address
        "http://0.0.0.0:9/",
        "ftp://127.0.0.1/file",
        "not a url",
    ],
)
def test_refused_by_policy(
    tuned_module_server: RunningServer, origin: FileOrigin, url: str
) -> None:
    body = _refused_changes_nothing(tuned_module_server, origin, url, "unrecognized_attachment_id")
    assert "refused by the URL policy" in body["error"] or "cannot be reached" in body["error"]


def test_public_only_policy_refuses_loopback(start_server: Any, origin: FileOrigin) -> None:
    server = start_server(hook_policy="public-only")
    body = _refused_changes_nothing(
        server, origin, f"{origin.base_url}/files/a.txt", "unrecognized_attachment_id"
    )
    assert "refused by the URL policy" in body["error"]


def test_bulk_comments_share_a_url(tuned_module_server: RunningServer, origin: FileOrigin) -> None:
    bob = person_client(tuned_module_server, BOB)
    first, second = simple_task(bob)["id"], simple_task(bob)["id"]
    url = {"url": f"{origin.base_url}/files/shared.bin"}
    hits = len(origin.hits)
    response = bob.post(
        "/v4/tasks/comments",
        json={
            "comments": [
                {"task_id": first, "attachments": [url]},
                {"task_id": second, "attachments": [url], "text": "same file"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert len(origin.hits) == hits + 1  # fetched once
    stored = [t["comments"][-1]["attachments"] for t in response.json()["tasks"]]
    assert [len(a) for a in stored] == [1, 1] and stored[0][0]["id"] != stored[1][0]["id"]
    assert all(download(bob, a[0]["id"]) == CONTENT for a in stored)
