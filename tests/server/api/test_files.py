"""Files: upload (multipart part ``file``), download at both client paths, errors."""

from __future__ import annotations

import hashlib

from api.harness import BOB, BOT_ID, RunningServer, assert_error, bot_client, person_client


def test_upload_and_download_both_paths(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    content = bytes(range(256)) * 40
    upload = bob.post("/v4/files/upload", files={"file": ("Отчёт 1.bin", content)})
    assert upload.status_code == 200, upload.text
    body = upload.json()
    assert body["md5_hash"] == hashlib.md5(content).hexdigest()
    task = bob.post(
        "/v4/tasks",
        json={"text": "x", "attachments": [body["guid"]], "participants": [{"id": BOT_ID}]},
    ).json()["task"]
    file_id = task["attachments"][0]["id"]
    for path in (
        f"/v4/files/download/{file_id}",
        f"/services/attachment?Id={file_id}",
        f"/api/v4/files/download/{file_id}",
    ):
        response = bob.get(path)
        assert response.status_code == 200, path
        assert response.content == content
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    # Bots download too (with their own token), the files of tasks they see.
    assert bot_client(shared_server).get(f"/services/attachment?Id={file_id}").content == content
    # The TS client names the part after the file.
    named = bob.post("/v4/files/upload", files={"report.txt": ("report.txt", b"abc")})
    assert named.status_code == 200 and named.json()["guid"]


def test_upload_errors(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    assert_error(
        bob.post("/v4/files/upload", files={"file": ("empty.txt", b"")}), 400, "empty_file"
    )
    assert_error(
        bob.post("/v4/files/upload", data={"note": "no file"}, files={"other": (None, b"x")}),
        400,
        "no_file_in_request",
    )
    assert_error(bob.post("/v4/files/upload", json={"file": "abc"}), 400, "bad_multipart_content")
    assert_error(
        bob.post(
            "/v4/files/upload",
            content=b"--x\r\nbroken",
            headers={"Content-Type": "multipart/form-data"},  # no boundary
        ),
        400,
        "bad_multipart_content",
    )
    assert_error(
        shared_server.client().post("/v4/files/upload", files={"file": ("a", b"a")}),
        401,
        "token_not_specified",
    )


def test_download_errors(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    # Unknown ids answer like other people's files: ids do not leak.
    assert_error(bob.get("/v4/files/download/987654"), 403, "access_denied_file")
    assert_error(bob.get("/services/attachment?Id=987654"), 403, "access_denied_file")
    assert_error(bob.get("/services/attachment"), 400, "required_parameter_missing")
    assert_error(bob.get("/services/attachment?Id=abc"), 400, "invalid_value_format")
    assert_error(
        shared_server.client().get("/services/attachment?Id=1"), 401, "token_not_specified"
    )
