"""New versions of files (NewFile ``{guid, root_id}``): the chain, downloads of every version,
and ``root_id`` of a file the caller may not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.file_clients import CLIENTS, client_request, download
from api.file_origin import CONTENT, FileOrigin, serve_files
from api.harness import BOB, CAROL, FORM_ID, RunningServer, assert_error, person_client


@pytest.fixture(scope="module")
def origin() -> Iterator[FileOrigin]:
    with serve_files() as running:
        yield running


def upload(client: httpx.Client, name: str, content: bytes) -> str:
    response = client.post("/v4/files/upload", files={"file": (name, content)})
    assert response.status_code == 200, response.text
    guid: str = response.json()["guid"]
    return guid


def comment(client: httpx.Client, task_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/v4/tasks/{task_id}/comments", json=body)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    return task


@pytest.mark.parametrize("client_name", CLIENTS)
def test_version_chain(module_server: RunningServer, origin: FileOrigin, client_name: str) -> None:
    bob = person_client(module_server, BOB)
    first_guid = upload(bob, "plan.txt", b"plan v1")
    created = bob.post("/v4/tasks", json={"form_id": FORM_ID, "attachments": [first_guid]})
    assert created.status_code == 200, created.text
    task = created.json()["task"]
    [first] = task["attachments"]
    assert first["version"] == 1 and "root_id" not in first

    second_guid = upload(bob, "plan.txt", b"plan v2")
    body = client_request(client_name, "comment_new_version", guid=second_guid, root_id=first["id"])
    task = comment(bob, task["id"], body)
    [second] = task["comments"][-1]["attachments"]
    assert (second["version"], second["root_id"]) == (2, first["id"])
    assert {a["id"] for a in task["attachments"]} == {first["id"], second["id"]}

    # A version of the second version is the third of the chain, rooted at the first.
    third_guid = upload(bob, "plan.txt", b"plan v3")
    task = comment(
        bob, task["id"], {"attachments": [{"guid": third_guid, "root_id": second["id"]}]}
    )
    [third] = task["comments"][-1]["attachments"]
    assert (third["version"], third["root_id"]) == (3, first["id"])
    # A file given by URL may be a new version too.
    url = {"url": f"{origin.base_url}/files/plan.txt", "root_id": first["id"]}
    task = comment(bob, task["id"], {"attachments": [url]})
    [fourth] = task["comments"][-1]["attachments"]
    assert (fourth["version"], fourth["root_id"], fourth["name"]) == (4, first["id"], "plan.txt")

    # Every version stays downloadable, and the task read back shows the same.
    assert download(bob, first["id"]) == b"plan v1"
    assert download(bob, second["id"]) == b"plan v2"
    assert download(bob, third["id"]) == b"plan v3"
    assert download(bob, fourth["id"]) == CONTENT
    read = bob.get(f"/v4/tasks/{task['id']}").json()["task"]
    versions = {a["id"]: (a["version"], a.get("root_id")) for a in read["attachments"]}
    assert versions == {
        first["id"]: (1, None),
        second["id"]: (2, first["id"]),
        third["id"]: (3, first["id"]),
        fourth["id"]: (4, first["id"]),
    }


def test_root_id_of_a_file_one_may_not_read(module_server: RunningServer) -> None:
    bob = person_client(module_server, BOB)
    carol = person_client(module_server, CAROL)
    bobs_guid = upload(bob, "private.txt", b"bob's")
    bobs_task = bob.post("/v4/tasks", json={"text": "mine", "attachments": [bobs_guid]})
    [bobs_file] = bobs_task.json()["task"]["attachments"]

    carols_task = carol.post("/v4/tasks", json={"text": "Carol's"}).json()["task"]
    carols_guid = upload(carol, "mine.txt", b"carol's")
    for root_id in (bobs_file["id"], 987654321):
        assert_error(
            carol.post(
                f"/v4/tasks/{carols_task['id']}/comments",
                json={"text": "x", "attachments": [{"guid": carols_guid, "root_id": root_id}]},
            ),
            403,
            "access_denied_file",
        )
        assert_error(
            carol.post(
                "/v4/tasks",
                json={"text": "x", "attachments": [{"guid": carols_guid, "root_id": root_id}]},
            ),
            403,
            "access_denied_file",
        )
    after = carol.get(f"/v4/tasks/{carols_task['id']}").json()["task"]
    assert len(after["comments"]) == 1 and "attachments" not in after
    # Carol's upload is untouched: attached plainly, it is a first version.
    plain = comment(carol, carols_task["id"], {"attachments": [carols_guid]})
    [attached] = plain["comments"][-1]["attachments"]
    assert attached["version"] == 1 and "root_id" not in attached
    assert download(bob, bobs_file["id"]) == b"bob's"
