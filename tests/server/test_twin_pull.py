"""``workspace pull`` against a platform over HTTP: what it reads, how it fails (naming the call
and the object), how it resumes; and the inference of step approvers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from api.harness import (
    ALICE,
    BOT_ID,
    CATALOG_ID,
    FORM_ID,
    OPEN_FORM_ID,
    RunningServer,
    new_form_task,
    person_client,
)
from typer.testing import CliRunner

from pyrus_bots.bot.client import PyrusClient
from pyrus_bots.cli import app
from pyrus_bots.protocol.models.form import FormTemplate
from pyrus_bots.protocol.models.task import Task
from pyrus_bots.server.twin.convert import infer_approvers
from pyrus_bots.server.twin.output import write_workspace
from pyrus_bots.server.twin.pull import PullError, PullOptions, pull_workspace
from pyrus_bots.server.workspace import load_workspace_file


class Recording(httpx.HTTPTransport):
    """Counts the paths requested; answers 503 to the first request of ``fail_path``."""

    def __init__(self, fail_path: str | None = None) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.fail_path = fail_path

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if self.fail_path is not None and path == self.fail_path:
            self.fail_path = None
            return httpx.Response(503, json={"error": "down", "error_code": "server_error"})
        return super().handle_request(request)


def client(server: RunningServer, key: str = ALICE["key"], **options: Any) -> PyrusClient:
    return PyrusClient.for_platform(
        server.base_url, login=ALICE["email"], security_key=key, max_retries=0, **options
    )


def test_pull_writes_a_workspace_that_loads(server: RunningServer, tmp_path: Path) -> None:
    with client(server) as api:
        result = pull_workspace(api, PullOptions(hook_urls={str(BOT_ID): "http://127.0.0.1:9/"}))
    workspace = result.workspace
    assert workspace["organization"]["id"] == 1
    assert [p["id"] for p in workspace["people"]] == [1001, 1002, 1003]
    (bot,) = workspace["bots"]
    assert bot["hook_url"] == "http://127.0.0.1:9/" and bot["settings"] == '{"limit": 1000}'
    assert [c["id"] for c in workspace["catalogs"]] == [CATALOG_ID]
    assert workspace["catalogs"][0]["items"][0] == ["CC1", "Marketing"]
    form = next(f for f in workspace["forms"] if f["id"] == FORM_ID)
    assert form["managers"] == [1001] and form["members"] == [1002]
    title = next(f for f in form["fields"] if f["type"] == "title")
    assert title["fields"] == [{"id": 14, "type": "text", "name": "Vendor"}]
    # No task yet: no step has evidence, and the output says which.
    assert f"form {OPEN_FORM_ID} step 1 (Review)" in result.steps_without_evidence
    keys = {k["email"]: k["security_key"] for k in result.keys["people"]}
    assert keys[ALICE["email"]] != ALICE["key"]

    path = tmp_path / "twin.yaml"
    write_workspace(path, workspace, server.base_url)
    text = path.read_text()
    assert "# approvers unknown: no recent task reached this step" in text
    loaded = load_workspace_file(path)
    assert {f.id for f in loaded.spec.forms} == {FORM_ID, OPEN_FORM_ID}


def test_forms_option_limits_the_forms(server: RunningServer) -> None:
    with client(server) as api:
        result = pull_workspace(api, PullOptions(form_ids={OPEN_FORM_ID}))
    assert [f["id"] for f in result.workspace["forms"]] == [OPEN_FORM_ID]
    with client(server) as api, pytest.raises(PullError, match=r"GET /forms \(forms \[999\]\)"):
        pull_workspace(api, PullOptions(form_ids={999}))


def test_errors_name_the_call_and_the_object(server: RunningServer, tmp_path: Path) -> None:
    with client(server, key="wrong-key") as api, pytest.raises(PullError) as failed:
        pull_workspace(api, PullOptions())
    assert failed.value.call == "GET /profile" and "wrong-key" not in str(failed.value)

    broken = Recording(fail_path=f"/v4/catalogs/{CATALOG_ID}")
    with client(server, transport=broken) as api, pytest.raises(PullError) as failed:
        pull_workspace(api, PullOptions())
    assert str(failed.value).startswith(
        f"GET /catalogs/{CATALOG_ID} (catalog {CATALOG_ID} 'Cost centers') failed: "
    )


def test_an_interrupted_pull_resumes(server: RunningServer, tmp_path: Path) -> None:
    checkpoint = tmp_path / "twin.pull"
    first = Recording(fail_path="/v4/forms")
    with client(server, transport=first) as api, pytest.raises(PullError, match="GET /forms"):
        pull_workspace(api, PullOptions(checkpoint=checkpoint))
    assert "/v4/members" in first.paths and (checkpoint / "members.json").is_file()

    second = Recording()
    with client(server, transport=second) as api:
        result = pull_workspace(api, PullOptions(checkpoint=checkpoint))
    # what the first run read is not read again
    assert "/v4/members" not in second.paths
    assert f"/v4/catalogs/{CATALOG_ID}" not in second.paths
    assert "/v4/forms" in second.paths
    assert len(result.workspace["forms"]) == 2
    assert not checkpoint.exists()


def test_cli_reports_a_failure_and_writes_nothing(server: RunningServer, tmp_path: Path) -> None:
    output = tmp_path / "twin.yaml"
    args = ["workspace", "pull", "--api-url", server.base_url + "/v4/", "--login", ALICE["email"]]
    failed = CliRunner().invoke(app, [*args, "--security-key", "nope", "-o", str(output)])
    assert failed.exit_code == 1
    assert "GET /profile (the account) failed" in failed.output and "nope" not in failed.output
    assert not output.exists()

    done = CliRunner().invoke(app, [*args, "--security-key", ALICE["key"], "-o", str(output)])
    assert done.exit_code == 0, done.output
    keys = yaml.safe_load((tmp_path / "twin.keys.yaml").read_text())
    assert {k["email"] for k in keys["people"]} == {
        "alice@acme.test",
        "bob@acme.test",
        "carol@acme.test",
    }
    assert (tmp_path / "twin.keys.yaml").stat().st_mode & 0o077 == 0
    assert "no evidence: form 321 step 1 (Manager)" in done.output


def _task(*steps: list[int]) -> Task:
    return Task.model_validate(
        {"id": 1, "approvals": [[{"person": {"id": pid}} for pid in step] for step in steps]}
    )


def test_approvers_are_inferred_from_most_tasks_not_one() -> None:
    template = FormTemplate.model_validate({"id": 5, "steps": {"1": "Check", "2": "Pay"}})
    tasks = [_task([1], [2]), _task([1], [2, 9]), _task([1, 3], [2]), _task([1])]
    first, second = infer_approvers(template, tasks)
    assert (first.approvers, first.tasks_seen) == ([1], 4)  # 3 was added by hand once
    assert (second.approvers, second.tasks_seen) == ([2], 3)  # 9 asked on one task of three
    assert first.comment == "approvers inferred from 4 recent task(s)"
    (only,) = infer_approvers(FormTemplate.model_validate({"steps": {"1": "A"}}), [])
    assert only.approvers == [] and only.tasks_seen == 0


def test_without_the_bots_call_bots_come_from_the_members(server: RunningServer) -> None:
    with client(server, transport=Recording(fail_path="/v4/bots")) as api:
        result = pull_workspace(api, PullOptions())
    (bot,) = result.workspace["bots"]
    assert bot["id"] == BOT_ID and bot["name"] == "Checker"
    assert any(w.startswith("GET /bots (bots) failed") for w in result.warnings)
    assert BOT_ID not in {p["id"] for p in result.workspace["people"]}


def test_tasks_come_with_their_comments_and_resume(server: RunningServer, tmp_path: Path) -> None:
    alice = person_client(server, ALICE)
    task = new_form_task(alice)
    commented = alice.post(f"/v4/tasks/{task['id']}/comments", json={"text": "Urgent"})
    assert commented.status_code == 200, commented.text
    checkpoint = tmp_path / "twin.pull"
    options = PullOptions(checkpoint=checkpoint, with_tasks=5)
    first = Recording(fail_path=f"/v4/tasks/{task['id']}")
    with (
        client(server, transport=first) as api,
        pytest.raises(PullError, match=rf"GET /tasks/{task['id']} \(task {task['id']} of form"),
    ):
        pull_workspace(api, options)
    assert f"/v4/forms/{FORM_ID}/register" in first.paths

    second = Recording()
    with client(server, transport=second) as api:
        result = pull_workspace(api, options)
    assert f"/v4/forms/{FORM_ID}/register" not in second.paths  # read before the failure
    (pulled,) = result.workspace["tasks"]
    assert pulled["id"] == task["id"]
    assert [c.get("text") for c in pulled["comments"]][-1] == "Urgent"
    path = tmp_path / "twin.yaml"
    write_workspace(path, result.workspace, server.base_url)
    assert [t["id"] for t in load_workspace_file(path).spec.tasks] == [task["id"]]


def test_files_come_with_the_tasks_and_resume(server: RunningServer, tmp_path: Path) -> None:
    alice = person_client(server, ALICE)
    uploaded = alice.post("/v4/files/upload", files={"file": ("Quote.pdf", b"%PDF quote")})
    assert uploaded.status_code == 200, uploaded.text
    task = new_form_task(alice, attachments=[uploaded.json()["guid"]])
    files_dir = tmp_path / "twin.files"
    options = PullOptions(with_tasks=5, files_dir=files_dir, checkpoint=tmp_path / "twin.pull")
    first = Recording(fail_path="/services/attachment")
    with client(server, transport=first) as api, pytest.raises(PullError) as failed:
        pull_workspace(api, options)
    file_id = task["attachments"][0]["id"]
    assert str(failed.value).startswith(
        f"GET files/download (file {file_id} 'Quote.pdf' of task {task['id']}) failed: "
    )

    with client(server) as api:
        result = pull_workspace(api, options)
    assert result.workspace["files"] == [
        {"id": file_id, "name": "Quote.pdf", "path": f"twin.files/{file_id}"}
    ]
    assert (files_dir / str(file_id)).read_bytes() == b"%PDF quote"
    (pulled,) = result.workspace["tasks"]
    assert pulled["attachments"][0]["id"] == file_id
    path = tmp_path / "twin.yaml"
    write_workspace(path, result.workspace, server.base_url)
    assert [f.id for f in load_workspace_file(path).spec.files] == [file_id]

    # without --with-files the files are left out, and the warning says so
    with client(server) as api:
        bare = pull_workspace(api, PullOptions(with_tasks=5))
    assert "attachments" not in bare.workspace["tasks"][0] and "files" not in bare.workspace
    assert any(f"left out of task(s) {task['id']}" in w for w in bare.warnings)


def test_with_files_needs_with_tasks(tmp_path: Path) -> None:
    args = ["workspace", "pull", "--api-url", "http://127.0.0.1:9/v4/", "--login", "a@b.c"]
    refused = CliRunner().invoke(app, [*args, "--security-key", "k", "--with-files"])
    assert refused.exit_code == 2 and "--with-files takes the files" in refused.output
