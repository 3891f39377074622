"""A local twin: one platform process plays the "real" organisation, ``pyrus-bots workspace
pull`` reads it through API v4 into a workspace file, a second process starts from that file.
Read through the official Python client, both hold the same forms, catalogs, people and roles
(ids included) and, pulled with ``--with-tasks``, the same tasks with their approvals by several
people and their comments (task and comment ids included); an SDK bot given the same task on both
answers the same. The twin runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import yaml
from pyrus.client import PyrusAPI

from pyrus_bots.bot import Bot, Reply
from pyrus_bots.server.workspace import FIELD_TYPES
from pyrus_bots.testing.fake_api.loopback import serve_asgi_in_thread

pytestmark = pytest.mark.timeout(240)

CLI = str(Path(sys.executable).parent / "pyrus-bots")
ALICE = {"id": 1001, "email": "alice@acme.test", "key": "alice-key"}
BOB = {"id": 1002, "email": "bob@acme.test", "key": "bob-key"}
CAROL = {"id": 1003, "email": "carol@acme.test", "key": "carol-key"}
CHECKER_ID = 2001
CHECKER_KEY = "checker-real-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def every_field_type() -> list[dict[str, Any]]:
    """One field of each of the 24 types of Pyrus, nested ones with children."""
    fields: list[dict[str, Any]] = [
        {"id": 1, "code": "u_item", "name": "Item", "type": "text"},
        {"id": 2, "code": "u_amount", "name": "Amount", "type": "money", "decimal_places": 2},
        {
            "id": 3,
            "code": "u_status",
            "name": "Status",
            "type": "multiple_choice",
            "options": [{"id": 1, "value": "New"}, {"id": 2, "value": "Approved"}],
        },
        {"id": 4, "code": "u_cc", "name": "Cost center", "type": "catalog", "catalog_id": 4001},
        {
            "id": 5,
            "name": "Details",
            "type": "title",
            "fields": [{"id": 6, "name": "Vendor", "type": "text", "multiline": True}],
        },
        {
            "id": 7,
            "name": "Lines",
            "type": "table",
            "columns": [
                {"id": 8, "name": "Article", "type": "text"},
                {"id": 9, "name": "Count", "type": "number", "decimal_places": 0},
            ],
        },
        {"id": 10, "name": "Hint", "type": "note", "text": "Fill in every line"},
        {"id": 11, "name": "Related", "type": "form_link", "form_id": 322},
        {"id": 12, "name": "Approved amount", "type": "money", "required_step": 3},
    ]
    covered = {f["type"] for f in fields} | {"number"}
    next_id = 20
    for kind in FIELD_TYPES:
        if kind not in covered:
            fields.append({"id": next_id, "name": f"A {kind}", "type": kind})
            next_id += 1
    return fields


def real_workspace(checker_url: str) -> dict[str, Any]:
    person = {"rights": ["manage_integrations_and_catalogs"], "position": "Buyer"}
    return {
        "organization": {"id": 7, "name": "Acme Real"},
        "people": [
            {
                "id": p["id"],
                "email": p["email"],
                "first_name": p["email"].split("@")[0].title(),
                "last_name": "Smith",
                "security_key": p["key"],
                **(person if p is ALICE else {}),
            }
            for p in (ALICE, BOB, CAROL)
        ],
        "bots": [
            {
                "id": CHECKER_ID,
                "name": "Checker",
                "login": "bot@0123456789abcdef0123",
                "security_key": CHECKER_KEY,
                "hook_url": checker_url,
                "settings": '{"limit": 1000}',
                "description": "Checks amounts",
            }
        ],
        "roles": [{"id": 3001, "name": "Managers", "members": [ALICE["id"], BOB["id"]]}],
        "catalogs": [
            {
                "id": 4001,
                "name": "Cost centers",
                "headers": ["Code", "Name"],
                "items": [["CC1", "Marketing"], ["CC2", "Sales"], ["CC3", "Research"]],
            },
            {"id": 4002, "name": "Vendors", "headers": ["Vendor"], "items": [["Initech"]]},
        ],
        "forms": [
            {
                "id": 321,
                "name": "Purchase request",
                "managers": [ALICE["id"]],
                "members": [BOB["id"], CAROL["id"]],
                "fields": every_field_type(),
                "steps": [
                    {"name": "Automatic check", "approvers": [CHECKER_ID]},
                    {"name": "Managers", "approvers": [ALICE["id"], BOB["id"]]},
                    {"name": "Accounting", "approvers": [CAROL["id"]]},
                ],
            },
            {
                "id": 322,
                "name": "Vendor onboarding",
                "managers": [ALICE["id"]],
                "fields": [{"id": 1, "name": "Vendor name", "type": "text"}],
                "steps": [{"name": "Review", "approvers": [CAROL["id"]]}],
            },
        ],
    }


def checker(secret: str) -> Bot:
    """The same bot code on both platforms: its answer depends on the task's data only."""
    bot = Bot(secret, name="checker")

    @bot.on_task(form_id=321, step=1)
    def check(event: Any) -> Any:
        task = event.task
        amount = task.field("u_amount").value or 0
        center = task.field("u_cc").value
        code = center["values"][0] if center else "none"
        limit = json.loads(event.bot_settings or "{}").get("limit", 0)
        text = f"{task.author.first_name}: {amount} on {code}, limit {limit}"
        return Reply.approve(text) if amount <= limit else Reply.reject(text)

    return bot


def start_platform(db: str, workspace: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [CLI, "serve", "--db", db, "--port", str(port), "--workspace", str(workspace)]
    command += ["--retry-schedule", "0,1,2"]
    process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=_env())
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not start: {log.read_text()[-3000:]}")


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": src, "COLUMNS": "200"}


def official(base: str, login: str, key: str) -> PyrusAPI:
    api = PyrusAPI(login=login, security_key=key)
    host = urlparse(base).netloc
    api._protocol = "http"
    api._host = host
    api._files_host = host
    return api


def plain(value: Any) -> Any:
    """An official client's answer as plain data, for comparison."""
    return json.loads(json.dumps(value, default=_plain, sort_keys=True))


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else vars(value)


def differences(real: Any, twin: Any, path: str = "") -> list[str]:
    """Where two answers differ (paths), for a readable failure."""
    if isinstance(real, dict) and isinstance(twin, dict):
        found = []
        for key in sorted(set(real) | set(twin)):
            found += differences(real.get(key), twin.get(key), f"{path}.{key}")
        return found
    if isinstance(real, list) and isinstance(twin, list) and len(real) == len(twin):
        return [
            d
            for i, (a, b) in enumerate(zip(real, twin, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    return [] if real == twin else [f"{path}: real {real!r}, twin {twin!r}"]


def ok(response: Any) -> Any:
    assert getattr(response, "error_code", None) is None, (response.error_code, response.error)
    return response


def api(base: str, person: dict[str, Any]) -> httpx.Client:
    token = httpx.post(
        f"{base}/v4/auth", json={"login": person["email"], "security_key": person["key"]}
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def field_id(name: str) -> int:
    return int(next(f["id"] for f in every_field_type() if f["name"] == name))


def create_task(
    client: httpx.Client, amount: int, center: int, more: list[dict[str, Any]] | None = None
) -> int:
    created = client.post(
        "/v4/tasks",
        json={
            "form_id": 321,
            "fields": [
                {"id": 1, "value": "Desk"},
                {"id": 2, "value": amount},
                {"id": 4, "value": {"item_id": center}},
                *(more or []),
            ],
        },
    )
    assert created.status_code == 200, created.text
    task_id: int = created.json()["task"]["id"]
    return task_id


def wait_for_step(client: httpx.Client, task_id: int, step: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task: dict[str, Any] = client.get(f"/v4/tasks/{task_id}").json()["task"]
        if task.get("current_step") == step or (step == 0 and task.get("is_closed")):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not reach step {step}: {task}")


def approve(client: httpx.Client, task_id: int, **extra: Any) -> None:
    body = {"approval_choice": "approved", **extra}
    answer = client.post(f"/v4/tasks/{task_id}/comments", json=body)
    assert answer.status_code == 200, answer.text


def bot_answer(client: httpx.Client, task_id: int, after: int = 0) -> tuple[str | None, str | None]:
    """The bot's comment on the task (the first after comment id ``after``), once it came."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        comments = client.get(f"/v4/tasks/{task_id}").json()["task"]["comments"]
        for comment in comments:
            if comment["author"]["id"] == CHECKER_ID and comment["id"] > after:
                return comment.get("text"), comment.get("approval_choice")
        time.sleep(0.1)
    raise AssertionError(f"the bot did not answer on task {task_id}")


def catalog_item(client: httpx.Client, code: str) -> int:
    items = client.get("/v4/catalogs/4001").json()["items"]
    return int(next(i["item_id"] for i in items if i["values"][0] == code))


def real_work(real_base: str) -> list[int]:
    """Tasks approved by the bot and by several people, with comments and values of many field
    types; the last one rejected by the bot (waiting on it at step 1). Their ids."""
    alice, bob, carol = api(real_base, ALICE), api(real_base, BOB), api(real_base, CAROL)
    cc2 = catalog_item(alice, "CC2")
    more = [
        {"id": 3, "value": {"choice_id": 2}},
        {"id": 6, "value": "Initech"},
        {
            "id": 7,
            "value": [{"row_id": 0, "cells": [{"id": 8, "value": "Pen"}, {"id": 9, "value": 3}]}],
        },
        {"id": 11, "value": {"task_ids": []}},
        {"id": field_id("A date"), "value": "2026-03-02"},
        {"id": field_id("A person"), "value": {"id": CAROL["id"]}},
        {"id": field_id("A checkmark"), "value": "checked"},
        {"id": field_id("A due_date"), "value": "2026-04-01"},
    ]
    task_ids = [create_task(bob, amount, cc2, more) for amount in (100, 200, 300)]
    for task_id in task_ids:
        wait_for_step(alice, task_id, 2)
        approve(alice, task_id, text="Fine by me")
        question: dict[str, Any] = {"text": "A question first"}
        if task_id == task_ids[0]:
            question["attachments"] = [upload(bob, "Quote.pdf", b"quote " * 100)]
        if task_id == task_ids[1]:
            guid = upload(bob, "Photo.png", b"png " * 50)
            question["field_updates"] = [{"id": field_id("A file"), "value": [guid]}]
        answer = bob.post(f"/v4/tasks/{task_id}/comments", json=question)
        assert answer.status_code == 200, answer.text
        approve(bob, task_id, field_updates=[{"id": 1, "value": "Desk, oak"}])
        wait_for_step(alice, task_id, 3)
    approve(carol, task_ids[0], field_updates=[{"id": 12, "value": 90}])
    wait_for_step(alice, task_ids[0], 0)
    rejected = create_task(bob, 5000, cc2)
    assert bot_answer(alice, rejected)[1] == "rejected"
    return [*task_ids, rejected]


def upload(client: httpx.Client, name: str, content: bytes) -> str:
    uploaded = client.post("/v4/files/upload", files={"file": (name, content)})
    assert uploaded.status_code == 200, uploaded.text
    guid: str = uploaded.json()["guid"]
    return guid


def pull(
    real_base: str, output: Path, twin_hook: str, *more: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CLI,
            "workspace",
            "pull",
            "--api-url",
            f"{real_base}/v4/",
            "--login",
            ALICE["email"],
            "--security-key",
            ALICE["key"],
            "-o",
            str(output),
            "--hook-url",
            f"Checker={twin_hook}",
            *more,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )


def test_pulled_twin_matches_the_organisation(tmp_path: Path, db_url: str) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    with serve_asgi_in_thread(checker(CHECKER_KEY).asgi()) as real_bot:
        try:
            real_file = tmp_path / "real.yaml"
            real_file.write_text(yaml.safe_dump(real_workspace(real_bot + "/")))
            real, real_base = start_platform(
                f"sqlite:///{tmp_path / 'real.db'}", real_file, tmp_path / "real.log"
            )
            processes.append(real)
            task_ids = real_work(real_base)
            alice, bob = api(real_base, ALICE), api(real_base, BOB)

            twin_port = free_port()
            twin_hook = f"http://127.0.0.1:{twin_port}/"
            pulled = pull(
                real_base, tmp_path / "twin.yaml", twin_hook, "--with-tasks", "10", "--with-files"
            )
            assert pulled.returncode == 0, pulled.stdout + pulled.stderr
            assert "2 forms, 2 catalogs, 3 people, 1 roles, 1 bots, 4 tasks" in pulled.stdout
            assert "no evidence: form 322 step 1 (Review)" in pulled.stderr
            text = (tmp_path / "twin.yaml").read_text()
            assert "# approvers inferred from 4 recent task(s)" in text
            assert ALICE["key"] not in text and CHECKER_KEY not in text
            assert not (tmp_path / "twin.pull").exists()  # the checkpoint is gone
            keys = yaml.safe_load((tmp_path / "twin.keys.yaml").read_text())
            twin_keys = {k["email"]: k["security_key"] for k in keys["people"]}
            (bot_key,) = [k["security_key"] for k in keys["bots"]]
            twin_file = yaml.safe_load(text)
            steps = twin_file["forms"][0]["steps"]
            assert [s["approvers"] for s in steps] == [[CHECKER_ID], [1001, 1002], [1003]]
            assert twin_file["forms"][0].get("managers") == [ALICE["id"]], pulled.stderr
            assert twin_file["bots"][0]["hook_url"] == twin_hook
            assert [t["id"] for t in twin_file["tasks"]] == task_ids
            assert sorted(p.name for p in (tmp_path / "twin.files").iterdir()) == ["1", "2"]
            assert [f["name"] for f in twin_file["files"]] == ["Quote.pdf", "Photo.png"]

            with serve_on(checker(bot_key), twin_port):
                twin, twin_base = start_platform(db_url, tmp_path / "twin.yaml", tmp_path / "t.log")
                processes.append(twin)
                compare_through_official_client(real_base, twin_base, twin_keys)
                compare_tasks(real_base, twin_base, twin_keys, task_ids)

                # A restart loads the same file again: nothing changes, the tasks included.
                twin.terminate()
                twin.wait(10)
                twin, twin_base = start_platform(db_url, tmp_path / "twin.yaml", tmp_path / "t.log")
                processes.append(twin)
                compare_tasks(real_base, twin_base, twin_keys, task_ids)

                twin_alice = api(twin_base, {**ALICE, "key": twin_keys[ALICE["email"]]})
                twin_bob = api(twin_base, {**BOB, "key": twin_keys[BOB["email"]]})
                # A pulled task waiting on the bot: the same comment on both, the same answer.
                answers = []
                rejected = task_ids[-1]
                for client, reader in ((bob, alice), (twin_bob, twin_alice)):
                    commented = client.post(
                        f"/v4/tasks/{rejected}/comments",
                        json={"text": "Cheaper now", "field_updates": [{"id": 2, "value": 900}]},
                    )
                    assert commented.status_code == 200, commented.text
                    after = commented.json()["task"]["comments"][-1]["id"]
                    answers.append((after, bot_answer(reader, rejected, after)))
                assert answers[0] == answers[1]
                assert answers[0][1] == ("Bob: 900 on CC2, limit 1000", "approved")

                # A new task on both: the same id (the twin's counters moved past the pulled
                # ids) and the same answer.
                new_tasks = []
                for client, reader in ((bob, alice), (twin_bob, twin_alice)):
                    task_id = create_task(client, 5000, catalog_item(reader, "CC3"))
                    new_tasks.append((task_id, bot_answer(reader, task_id)))
                assert new_tasks[0] == new_tasks[1]
                assert new_tasks[0][1] == ("Bob: 5000 on CC3, limit 1000", "rejected")
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)


def compare_tasks(
    real_base: str, twin_base: str, twin_keys: dict[str, str], task_ids: list[int]
) -> None:
    """``GET /v4/tasks/{id}`` and the register through the official client: the same."""
    real = official(real_base, ALICE["email"], ALICE["key"])
    twin = official(twin_base, ALICE["email"], twin_keys[ALICE["email"]])
    ok(real.auth())
    ok(twin.auth())
    for task_id in task_ids:
        real_task = same_base(plain(ok(real.get_task(task_id)).task), real_base)
        assert real_task["id"] == task_id and len(real_task["comments"]) >= 2
        twin_task = same_base(plain(ok(twin.get_task(task_id)).task), twin_base)
        assert differences(real_task, twin_task) == []
    real_register = same_base(plain(ok(real.get_registry(321)).tasks), real_base)
    assert sorted(t["id"] for t in real_register) == task_ids[1:]  # the first one is closed
    twin_register = same_base(plain(ok(twin.get_registry(321)).tasks), twin_base)
    assert differences(real_register, twin_register) == []
    files = [
        a
        for c in plain(ok(twin.get_task(task_ids[0])).task)["comments"]
        for a in c.get("attachments", [])
    ]
    assert [f["name"] for f in files] == ["Quote.pdf"]
    assert twin.download_file(files[0]["id"]).raw_file == b"quote " * 100


def same_base(answer: Any, base: str) -> Any:
    """File URLs name the platform: the same answer on both reads the same with it masked."""
    return json.loads(json.dumps(answer).replace(base, "<platform>"))


def serve_on(bot: Bot, port: int) -> Any:
    """Serve ``bot`` on a given loopback port (its URL went into the pulled workspace)."""
    import contextlib
    import threading

    import uvicorn

    @contextlib.contextmanager
    def serving() -> Any:
        config = uvicorn.Config(
            bot.asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            yield
        finally:
            server.should_exit = True
            thread.join(10)

    return serving()


def compare_through_official_client(
    real_base: str, twin_base: str, twin_keys: dict[str, str]
) -> None:
    real = official(real_base, ALICE["email"], ALICE["key"])
    twin = official(twin_base, ALICE["email"], twin_keys[ALICE["email"]])
    ok(real.auth())
    ok(twin.auth())
    real_forms = plain(ok(real.get_forms()).forms)
    assert len(real_forms) == 2
    assert differences(real_forms, plain(ok(twin.get_forms()).forms)) == []
    for form_id in (321, 322):
        assert plain(ok(twin.get_form(form_id))) == plain(ok(real.get_form(form_id)))
    for catalog_id in (4001, 4002):
        assert plain(ok(twin.get_catalog(catalog_id))) == plain(ok(real.get_catalog(catalog_id)))
    assert plain(ok(twin.get_members()).members) == plain(ok(real.get_members()).members)
    assert plain(ok(twin.get_roles()).roles) == plain(ok(real.get_roles()).roles)
    real_profile, twin_profile = plain(ok(real.get_profile())), plain(ok(twin.get_profile()))
    assert twin_profile["organization_id"] == real_profile["organization_id"] == 7
