"""Deliveries from the platform to an SDK bot recorded, exported from the delivery log, and
replayed: into a changed bot over HTTP (the difference reported) and as test-kit cases."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from api.harness import RunningServer, StartServer

from pyrus_bots.bot import Bot, Reply
from pyrus_bots.bot.recording import load_recordings
from pyrus_bots.bot.replay import send_recordings
from pyrus_bots.protocol.models.recording import parse_recordings
from pyrus_bots.testing import BotTester, recorded_cases
from pyrus_bots.testing.fake_api.loopback import serve_asgi_in_thread

BOT_ID = 2001
BOT_KEY = "approver-key"
PERSON = {"id": 1001, "email": "alice@acme.test", "key": "alice-key"}


def approver(record: Path | None = None, *, limit: int = 1000) -> Bot:
    bot = Bot(BOT_KEY, name="approver", record=record)

    @bot.on_task(form_id=321, step=1)
    def check(event: Any) -> Any:
        amount = event.task.field("u_amount").value
        if amount > limit:
            return Reply.reject(f"{amount} is over {limit}")
        return Reply.approve("fine")

    return bot


def workspace(hook_url: str) -> dict[str, Any]:
    return {
        "organization": {"id": 1, "name": "Acme"},
        "people": [
            {
                "id": PERSON["id"],
                "email": PERSON["email"],
                "first_name": "Alice",
                "security_key": PERSON["key"],
                "rights": ["manage_integrations_and_catalogs"],
            }
        ],
        "bots": [{"id": BOT_ID, "name": "Approver", "security_key": BOT_KEY, "hook_url": hook_url}],
        "forms": [
            {
                "id": 321,
                "name": "Purchase request",
                "fields": [
                    {"id": 1, "code": "u_item", "name": "Item", "type": "text"},
                    {"id": 2, "code": "u_amount", "name": "Amount", "type": "money"},
                ],
                "steps": [
                    {"name": "Automatic check", "approvers": [BOT_ID]},
                    {"name": "Manager", "approvers": [PERSON["id"]]},
                ],
            }
        ],
    }


def wait_delivered(admin: httpx.Client, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = admin.get("/admin/api/deliveries", params={"bot_id": BOT_ID}).json()
        done = [d for d in listed["deliveries"] if d["state"] == "done"]
        if len(done) >= count:
            return done
        time.sleep(0.1)
    raise AssertionError(f"{count} deliveries were not done in time: {listed}")


def run_traffic(server: RunningServer, amounts: list[int]) -> list[int]:
    client = server.client(server.token(PERSON["email"], PERSON["key"]))
    task_ids = []
    for amount in amounts:
        created = client.post(
            "/v4/tasks",
            json={
                "form_id": 321,
                "fields": [{"id": 1, "value": "Desk"}, {"id": 2, "value": amount}],
            },
        )
        assert created.status_code == 200, created.text
        task_ids.append(created.json()["task"]["id"])
    wait_delivered(server.admin_client(), len(amounts))
    return task_ids


async def test_platform_deliveries_recorded_exported_and_replayed(
    start_server: StartServer, tmp_path: Path
) -> None:
    recorded = tmp_path / "recorded"
    with serve_asgi_in_thread(approver(recorded).asgi()) as bot_url:
        server = start_server(workspace(bot_url + "/"))
        task_ids = run_traffic(server, [500, 5000])

    recordings = load_recordings(recorded)
    assert [r.task_id for r in recordings] == task_ids
    assert [r.reply.decoded()["approval_choice"] for r in recordings] == ["approved", "rejected"]
    for recording in recordings:
        assert recording.request.decoded()["access_token"] == "***"

    # The delivery log exports the same deliveries in the same format, byte for byte.
    admin = server.admin_client()
    exported = admin.get("/admin/api/deliveries/export", params={"bot_id": BOT_ID})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    from_log = parse_recordings(exported.content)
    assert [r.task_id for r in from_log] == task_ids
    assert [r.source for r in from_log] == ["platform", "platform"]
    for sdk, platform in zip(recordings, from_log, strict=True):
        assert platform.request.body == sdk.request.body
        assert platform.request.headers == sdk.request.headers
        assert platform.reply.decoded() == sdk.reply.decoded()
    one = from_log[1].delivery_id
    single = parse_recordings(admin.get(f"/admin/api/deliveries/{one}/export").content)
    assert [r.task_id for r in single] == [task_ids[1]]
    missing = admin.get("/admin/api/deliveries/999999/export")
    assert missing.status_code == 404 and missing.json()["error_code"] == "not_found"
    ui_page = admin.get(f"/ui/deliveries/{one}")
    assert f"/ui/deliveries/{one}/export" in ui_page.text
    ui_export = admin.get(f"/ui/deliveries/{one}/export")
    assert parse_recordings(ui_export.content) == single
    log_page = admin.get(f"/ui/bots/{BOT_ID}/deliveries", params={"task": task_ids[0]})
    assert f"/ui/bots/{BOT_ID}/deliveries/export?task={task_ids[0]}" in log_page.text
    by_task = admin.get(f"/ui/bots/{BOT_ID}/deliveries/export", params={"task": task_ids[0]})
    assert [r.task_id for r in parse_recordings(by_task.content)] == task_ids[:1]
    ui_log = admin.get(f"/ui/bots/{BOT_ID}/deliveries/export")
    assert [r.task_id for r in parse_recordings(ui_log.content)] == task_ids

    # Replayed over HTTP into a changed bot: the difference is reported.
    with serve_asgi_in_thread(approver(limit=10_000).asgi()) as changed_url:
        results = send_recordings(recordings, url=changed_url + "/", secret=BOT_KEY)
    assert [r.same for r in results] == [True, False]
    assert '+  "approval_choice": "approved"' in results[1].diff

    # As test-kit cases: the unchanged bot answers every recording as recorded.
    for case in recorded_cases(recorded):
        (recording,) = case.values
        (await BotTester(approver()).replay(recording)).assert_same()
    (await BotTester(approver()).replay(from_log)).assert_same()
