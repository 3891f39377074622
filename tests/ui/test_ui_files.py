"""Files through the UI over real HTTP, on SQLite and PostgreSQL: several files at once in a new
form task's file field and attachments, a simple task's attachments and a comment's; a file over
the limit refused next to its input with the form kept; downloads and previews under the API's
access rules; each result read back through ``GET /v4/tasks/{id}``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from ui_helpers import LiveServer, csrf_of, sign_in

Start = Callable[..., LiveServer]

PDF = b"%PDF-1.4\n% a quote\n" + b"0" * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 200
HTML = b"<html><script>alert(1)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
FILE_LINK = re.compile(r'href="/ui/files/(\d+)" download>([^<]+)</a>')


def _api(server: LiveServer, login: str, key: str) -> httpx.Client:
    token = httpx.post(
        server.base_url + "/v4/auth", json={"login": login, "security_key": key}
    ).json()["access_token"]
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _task(server: LiveServer, task_id: int, login: str = "erin@demo.test") -> dict[str, Any]:
    with _api(server, login, login.split("@")[0] + "-demo-key") as api:
        answer = api.get(f"/v4/tasks/{task_id}")
        assert answer.status_code == 200, answer.text
        task: dict[str, Any] = answer.json()["task"]
        return task


def _names(files: Any) -> list[str]:
    return sorted(f["name"] for f in files or [])


def _field(task: dict[str, Any], field_id: int) -> Any:
    return next((f.get("value") for f in task["fields"] if f["id"] == field_id), None)


def _signed_in(server: LiveServer, who: str) -> httpx.Client:
    client = server.client()
    assert sign_in(client, login=f"{who}@demo.test", password=f"{who}-demo-password").is_redirect
    return client


def _task_id(answer: httpx.Response) -> int:
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])


def _files_on_page(client: httpx.Client, task_id: int) -> dict[str, int]:
    page = client.get(f"/ui/tasks/{task_id}")
    return {name: int(file_id) for file_id, name in FILE_LINK.findall(page.text)}


def _scenario(server: LiveServer) -> None:
    erin = _signed_in(server, "erin")
    page = erin.get("/ui/tasks/new?form=321")
    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="f10" type="file" multiple' in page.text and 'name="attachments"' in page.text
    created = erin.post(
        "/ui/tasks/new",
        data={"csrf": csrf_of(page.text), "form": "321", "f1": "Desk", "f2": "300"},
        files=[
            ("f10", ("quote.pdf", PDF, "application/pdf")),
            ("f10", ("photo.png", PNG, "image/png")),
            ("attachments", ("page.html", HTML, "text/html")),
            ("attachments", ("logo.svg", SVG, "image/svg+xml")),
        ],
    )
    task_id = _task_id(created)
    task = _task(server, task_id)
    assert _names(_field(task, 10)) == ["photo.png", "quote.pdf"]
    assert {"page.html", "logo.svg"} <= set(_names(task["attachments"]))

    # Downloads and previews, as the signed-in person, streamed with the API's bytes.
    links = _files_on_page(erin, task_id)
    assert {"quote.pdf", "photo.png", "page.html", "logo.svg"} <= set(links)
    pdf = erin.get(f"/ui/files/{links['quote.pdf']}")
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["content-type"] == "application/octet-stream"
    assert pdf.headers["x-content-type-options"] == "nosniff"
    image = erin.get(f"/ui/files/{links['photo.png']}/preview")
    assert image.content == PNG and image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in image.headers["content-security-policy"]
    assert image.headers["x-content-type-options"] == "nosniff"
    framed = erin.get(f"/ui/files/{links['quote.pdf']}/preview")
    assert framed.headers["content-type"] == "application/pdf"
    assert framed.headers["x-frame-options"] == "SAMEORIGIN"
    for unsafe in ("page.html", "logo.svg"):  # never rendered as a page of this site
        answer = erin.get(f"/ui/files/{links[unsafe]}/preview")
        assert answer.headers["content-disposition"].startswith("attachment;")
        assert answer.headers["content-type"] == "application/octet-stream"
    page = erin.get(f"/ui/tasks/{task_id}")
    assert f'<img class="file-preview" src="/ui/files/{links["photo.png"]}/preview"' in page.text
    assert f'<iframe class="file-preview" src="/ui/files/{links["quote.pdf"]}/preview"' in (
        page.text
    )

    # A comment: a file attached, one added to the file field and one removed from it.
    comment = erin.post(
        f"/ui/tasks/{task_id}/comments",
        data={
            "csrf": csrf_of(page.text),
            "text": "Revised quote",
            "delfile:f10": str(links["photo.png"]),
        },
        files=[
            ("attachments", ("notes.txt", b"call the vendor", "text/plain")),
            ("f10", ("quote-v2.pdf", PDF + b"v2", "application/pdf")),
        ],
    )
    assert comment.status_code == 303, comment.text
    task = _task(server, task_id)
    assert _names(_field(task, 10)) == ["quote-v2.pdf", "quote.pdf"]
    last = task["comments"][-1]
    assert _names(last.get("attachments")) == ["notes.txt"]

    # A simple task's files are Erin's alone: Mark may not read them, in the UI as in the API.
    page = erin.get("/ui/tasks/new?form=simple")
    simple = erin.post(
        "/ui/tasks/new",
        data={"csrf": csrf_of(page.text), "form": "simple", "text": "Private"},
        files=[
            ("attachments", ("a.txt", b"alpha", "text/plain")),
            ("attachments", ("b.txt", b"beta", "text/plain")),
        ],
    )
    simple_id = _task_id(simple)
    assert _names(_task(server, simple_id)["attachments"]) == ["a.txt", "b.txt"]
    private = _files_on_page(erin, simple_id)["a.txt"]
    mark = _signed_in(server, "mark")
    assert mark.get(f"/ui/files/{private}").status_code == 403
    assert mark.get(f"/ui/files/{private}/preview").status_code == 403
    with _api(server, "mark@demo.test", "mark-demo-key") as api:
        assert api.get(f"/v4/files/download/{private}").status_code == 403
    assert erin.get(f"/ui/files/{private}").content == b"alpha"
    assert server.client().get(f"/ui/files/{private}").status_code == 303  # to sign-in
    erin.close()
    mark.close()


def _too_large(server: LiveServer) -> None:
    limits = server.app.state.api.limits
    saved = (limits.json_bytes, limits.upload_bytes)
    limits.upload_bytes = 2000
    erin = _signed_in(server, "erin")
    with _api(server, "mark@demo.test", "mark-demo-key") as api:
        upload = api.post("/v4/files/upload", files={"file": ("marks.txt", b"not Erin's")})
        marks_guid = upload.json()["guid"]
    try:
        page = erin.get("/ui/tasks/new?form=321")
        assert 'data-max-bytes="2000"' in page.text
        refused = erin.post(
            "/ui/tasks/new",
            data={"csrf": csrf_of(page.text), "form": "321", "f1": "Big desk", "f2": "400"},
            files=[
                ("f10", ("huge.pdf", b"x" * 3000, "application/pdf")),
                ("attachments", ("small.txt", b"small", "text/plain")),
            ],
        )
        assert refused.status_code == 400
        # Next to the input, the rest of the form as typed, the small file kept.
        assert re.search(r"huge\.pdf is larger than 2\.0 KB", refused.text)
        assert 'value="Big desk"' in refused.text and 'value="400"' in refused.text
        kept = re.findall(r'name="kept:attachments" value="([0-9a-f-]+)" checked', refused.text)
        assert len(kept) == 1 and "small.txt" in refused.text
        again = erin.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(refused.text),
                "form": "321",
                "f1": "Big desk",
                "f2": "400",
                "kept:attachments": [kept[0], marks_guid],  # someone else's guid is not kept
            },
        )
        task = _task(server, _task_id(again))
        assert _names(task["attachments"]) == ["small.txt"]
        # A body over the whole form's cap never reaches the page: a page says so.
        limits.json_bytes = 1000
        over = erin.post(
            "/ui/tasks/new",
            data={"csrf": csrf_of(page.text), "form": "321"},
            files=[("attachments", ("big.bin", b"y" * 5000, "application/octet-stream"))],
        )
        assert over.status_code == 413 and "The files are too large" in over.text
    finally:
        limits.json_bytes, limits.upload_bytes = saved
        erin.close()


@pytest.mark.parametrize("case", [_scenario, _too_large], ids=["files", "too-large"])
def test_files_in_ui_forms(ui_server: Start, db_url: str, case: Callable[..., None]) -> None:
    case(ui_server(db_url=db_url, admin_token="files-admin-token"))
