"""Who may read and attach a file: those who see a task holding it, and its uploader before
first use; everyone else gets 403 ``access_denied_file`` at both download paths and when
attaching it (as an attachment or a file field value, by guid or by id)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from api.harness import (
    ALICE,
    BOB,
    CAROL,
    RunningServer,
    assert_error,
    bot_client,
    new_form_task,
    person_client,
)

DOWNLOAD_PATHS = (
    "/v4/files/download/{}",
    "/services/attachment?Id={}",
    "/api/v4/files/download/{}",
)


def _upload(client: httpx.Client, content: bytes = b"secret report") -> dict[str, Any]:
    response = client.post("/v4/files/upload", files={"file": ("report.txt", content)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_denied(client: httpx.Client, file_id: int) -> None:
    for path in DOWNLOAD_PATHS:
        assert_error(client.get(path.format(file_id)), 403, "access_denied_file")


def _assert_readable(client: httpx.Client, file_id: int, content: bytes) -> None:
    for path in DOWNLOAD_PATHS:
        response = client.get(path.format(file_id))
        assert response.status_code == 200, (path, response.text)
        assert response.content == content


def test_a_file_on_an_invisible_task_is_neither_readable_nor_attachable(
    shared_server: RunningServer,
) -> None:
    bob, carol = person_client(shared_server, BOB), person_client(shared_server, CAROL)
    bot = bot_client(shared_server)
    upload = _upload(bob)
    task = bob.post("/v4/tasks", json={"text": "mine", "attachments": [upload["guid"]]})
    assert task.status_code == 200, task.text
    file_id = task.json()["task"]["attachments"][0]["id"]
    assert_error(carol.get(f"/v4/tasks/{task.json()['task']['id']}"), 403, "access_denied_task")
    _assert_denied(carol, file_id)
    _assert_denied(bot, file_id)
    # Reusing it by id or by guid, on a new task or in a comment on one's own task.
    for ref in ({"attachment_id": file_id}, {"guid": upload["guid"]}, upload["guid"]):
        assert_error(
            carol.post("/v4/tasks", json={"text": "stolen", "attachments": [ref]}),
            403,
            "access_denied_file",
        )
    own = carol.post("/v4/tasks", json={"text": "own"}).json()["task"]
    assert_error(
        carol.post(f"/v4/tasks/{own['id']}/comments", json={"attachments": [upload["guid"]]}),
        403,
        "access_denied_file",
    )
    after = carol.get(f"/v4/tasks/{own['id']}").json()["task"]
    assert len(after["comments"]) == 1 and "attachments" not in after
    # The uploader still reads it (through the task), and a new participant does too.
    _assert_readable(bob, file_id, b"secret report")
    added = bob.post(
        f"/v4/tasks/{task.json()['task']['id']}/comments",
        json={"participants_added": [{"id": CAROL["id"]}]},
    )
    assert added.status_code == 200, added.text
    _assert_readable(carol, file_id, b"secret report")
    # Who sees a task holding the file may attach it elsewhere.
    reused = carol.post(f"/v4/tasks/{own['id']}/comments", json={"attachments": [upload["guid"]]})
    assert reused.status_code == 200, reused.text


def test_only_the_uploader_uses_a_file_before_its_first_use(shared_server: RunningServer) -> None:
    bob, carol = person_client(shared_server, BOB), person_client(shared_server, CAROL)
    upload = _upload(bob, b"draft")
    file_id = bob.post(
        "/v4/tasks", json={"text": "probe", "attachments": [_upload(bob, b"x")["guid"]]}
    ).json()["task"]["attachments"][0]["id"]
    unused_id = file_id - 1  # ids are sequential: the draft was uploaded just before
    _assert_readable(bob, unused_id, b"draft")
    _assert_denied(carol, unused_id)
    assert_error(
        carol.post("/v4/tasks", json={"text": "t", "attachments": [upload["guid"]]}),
        403,
        "access_denied_file",
    )


def test_a_file_field_value_is_checked_like_an_attachment(shared_server: RunningServer) -> None:
    bob, alice = person_client(shared_server, BOB), person_client(shared_server, ALICE)
    upload = _upload(alice, b"receipt")
    # Bob may not put Alice's unused upload into a file field (nor into a table's file cell).
    assert_error(
        bob.post(
            "/v4/tasks",
            json={"form_id": 321, "fields": [{"id": 18, "value": [{"guid": upload["guid"]}]}]},
        ),
        403,
        "access_denied_file",
    )
    task = new_form_task(alice, fields=[{"id": 1, "value": "x"}, {"id": 18, "value": [upload]}])
    file_id = next(f for f in task["fields"] if f["id"] == 18)["value"][0]["id"]
    _assert_readable(alice, file_id, b"receipt")
    _assert_denied(bob, file_id)  # a member of the form, not of this task


def test_any_stored_name_downloads_with_a_safe_disposition(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    name = 'line\nfeed \x1b\\"quoted\\" Отчёт.txt'  # a browser's form sends what it gets
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\npayload\r\n--b0undary--\r\n'
    )
    upload = bob.post(
        "/v4/files/upload",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert upload.status_code == 200, upload.text
    task = bob.post("/v4/tasks", json={"text": "n", "attachments": [upload.json()["guid"]]})
    stored = task.json()["task"]["attachments"][0]
    assert stored["name"] == 'line\nfeed \x1b"quoted" Отчёт.txt'
    for path in DOWNLOAD_PATHS:
        response = bob.get(path.format(stored["id"]))
        assert response.status_code == 200, path
        assert response.content == b"payload"
        disposition = response.headers["content-disposition"]
        assert "\n" not in disposition and "\r" not in disposition
        assert disposition.endswith("filename*=UTF-8''" + quote(stored["name"], safe=""))
