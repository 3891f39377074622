"""Recording deliveries (``Bot(record=...)``), reading them back, replaying them: into a bot in
process (the test kit) and over HTTP (``pyrus-bots replay``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from pyrus_bots.bot import Bot, Reply
from pyrus_bots.bot.recording import DeliveryRecorder, load_recordings
from pyrus_bots.protocol.models.recording import (
    MASK,
    RecordedDelivery,
    RecordingError,
    parse_recordings,
)
from pyrus_bots.testing import BotTester, make_delivery, recorded_cases
from pyrus_bots.testing.fake_api.loopback import serve_asgi_in_thread

from .conftest import SECRET, purchase_task

CLI = [str(Path(sys.executable).parent / "pyrus-bots")]
TOKEN = "live-token-0123456789abcdef"


def approver(record: Any = None, *, limit: int = 1000, dedupe: bool = True) -> Bot:
    bot = Bot(SECRET, name="approver", record=record, dedupe=None if dedupe else False)

    @bot.on_task(form_id=321)
    def check(event: Any) -> Any:
        amount = event.task.field("u_amount").value
        if amount > limit:
            return Reply.reject(f"{amount} is over {limit}")
        return Reply.approve("fine")

    return bot


async def record_run(directory: Path, amounts: list[int]) -> list[bytes]:
    """Deliver one task per amount to an approver that records into ``directory``."""
    bot = approver(directory)
    tester = BotTester(bot)
    bodies = []
    for number, amount in enumerate(amounts, start=1):
        task = purchase_task(task_id=100 + number)
        for field in task["fields"]:
            if field.get("code") == "u_amount":
                field["value"] = amount
        delivery = make_delivery(bot, task, access_token=TOKEN, retry=1)
        bodies.append(delivery.body)
        await tester.send(delivery=delivery)
    await bot.aclose()
    return bodies


async def test_each_verified_delivery_is_recorded_with_its_answer(tmp_path: Path) -> None:
    bodies = await record_run(tmp_path, [500, 5000])
    bot = approver(tmp_path)
    tester = BotTester(bot)
    forged = make_delivery(bot, purchase_task(task_id=999))
    bad = await tester.send(delivery=forged, headers={"X-Pyrus-Sig": "00" * 20})
    assert bad.status == 401
    await bot.aclose()

    recordings = load_recordings(tmp_path)
    assert [r.task_id for r in recordings] == [101, 102]  # the forged one is not recorded
    first, second = recordings
    assert first.source == "sdk" and first.bot == "approver" and first.event == "comment"
    # the exact body, except the token
    assert first.request.body_bytes() == bodies[0].replace(TOKEN.encode(), MASK.encode())
    assert TOKEN not in (tmp_path / "deliveries.jsonl").read_text()
    assert first.request.headers["X-Pyrus-Retry"] == "1/3"
    assert "X-Pyrus-Sig" not in first.request.headers
    assert first.reply.status == 200
    assert first.reply.decoded() == {"text": "fine", "approval_choice": "approved"}
    assert second.reply.decoded()["approval_choice"] == "rejected"
    assert first.reply.duration_ms is not None and first.reply.duration_ms >= 0
    # the token goes back in for a replay that must call the API
    assert first.body_with_token(TOKEN) == bodies[0]


def test_files_rotate_by_size_and_read_back_oldest_first(tmp_path: Path) -> None:
    recorder = DeliveryRecorder(tmp_path, max_bytes=2000, backup_count=50)
    body = orjson.dumps({"event": "comment", "task_id": 0, "task": {"id": 0, "text": "x" * 700}})
    for task_id in range(1, 9):
        recorder.record(
            RecordedDelivery.capture(
                source="sdk",
                body=body.replace(b'"task_id":0', f'"task_id":{task_id}'.encode()),
                headers={},
                status=200,
                reply=b"{}",
                duration_ms=1.0,
            )
        )
    recorder.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) > 2 and "deliveries.jsonl.1" in files
    assert all(p.stat().st_size <= 2000 for p in tmp_path.iterdir())
    assert [r.task_id for r in load_recordings(tmp_path)] == list(range(1, 9))


def test_bad_recordings_are_named_by_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "pyrus-bots.delivery/1"}\n')
    with pytest.raises(RecordingError, match=r"bad.jsonl:1: not a recorded delivery"):
        load_recordings(bad)
    with pytest.raises(RecordingError, match="no such file"):
        load_recordings(tmp_path / "missing")
    assert parse_recordings(b"") == []


async def test_replay_into_the_same_bot_answers_the_same(tmp_path: Path) -> None:
    await record_run(tmp_path, [500, 5000])
    report = await BotTester(approver()).replay(tmp_path)
    assert len(report) == 2 and report.differences == []
    report.assert_same()


async def test_replay_into_a_changed_bot_reports_the_difference(tmp_path: Path) -> None:
    await record_run(tmp_path, [500, 5000])
    report = await BotTester(approver(limit=10_000)).replay(tmp_path)
    assert [r.same for r in report] == [True, False]
    diff = report.differences[0].diff
    assert '-  "approval_choice": "rejected"' in diff
    assert '+  "approval_choice": "approved"' in diff
    with pytest.raises(AssertionError, match="1 of 2 answers differ"):
        report.assert_same()


def test_replay_sync_and_pytest_cases(tmp_path: Path) -> None:
    import asyncio

    asyncio.run(record_run(tmp_path, [500, 5000]))
    cases = recorded_cases(tmp_path)
    assert [case.id for case in cases] == ["1-task-101-comment", "2-task-102-comment"]
    tester = BotTester(approver())
    try:
        for case in cases:
            (recording,) = case.values
            tester.replay_sync(recording).assert_same()
    finally:
        tester.close()


def run_replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "replay", *args], capture_output=True, text=True, timeout=60, env=_wide_env()
    )


def _wide_env() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "200"}


async def test_replay_command_prints_a_table_and_fails_on_a_difference(tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    await record_run(recorded, [500, 5000])
    with serve_asgi_in_thread(approver(dedupe=False).asgi()) as same_url:
        same = run_replay(
            str(recorded), "--to", same_url + "/", "--secret", SECRET, "--expect-same"
        )
    assert same.returncode == 0, same.stdout + same.stderr
    assert "2 same, 0 different" in same.stdout
    assert "task 101 comment" in same.stdout

    with serve_asgi_in_thread(approver(limit=10_000, dedupe=False).asgi()) as changed_url:
        changed = run_replay(
            str(recorded), "--to", changed_url + "/", "--secret", SECRET, "--expect-same"
        )
        without_expect = run_replay(str(recorded), "--to", changed_url + "/", "--secret", SECRET)
    assert changed.returncode == 1
    assert "differs" in changed.stdout and "1 same, 1 different" in changed.stdout
    assert '+  "approval_choice": "approved"' in changed.stdout
    assert without_expect.returncode == 0 and "differs" in without_expect.stdout

    with serve_asgi_in_thread(approver(dedupe=False).asgi()) as url:
        wrong_secret = run_replay(str(recorded), "--to", url + "/", "--secret", "not-it")
    assert "401" in wrong_secret.stdout and "not-it" not in wrong_secret.stdout

    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_replay(str(empty), "--to", "http://127.0.0.1:1/", "--secret", SECRET)
    assert nothing.returncode == 2 and "no recorded deliveries" in nothing.stdout


def test_bot_run_record_writes_recordings(tmp_path: Path) -> None:
    from .test_cli import _run_server

    (tmp_path / "recbot.py").write_text(
        "from pyrus_bots.bot import Bot, Reply\n"
        "bot = Bot('rec-secret', name='rec')\n"
        "@bot.on_task()\n"
        "def hello(event):\n"
        "    return Reply.approve('hi')\n"
    )
    import httpx

    server = _run_server(tmp_path, "recbot:bot", "--record", "recorded")
    base = next(server)
    try:
        delivery = make_delivery("rec-secret", purchase_task(task_id=7), access_token=TOKEN)
        response = httpx.post(base, content=delivery.body, headers=delivery.headers)
        assert response.status_code == 200
    finally:
        server.close()
    (recording,) = load_recordings(tmp_path / "recorded")
    assert recording.task_id == 7 and recording.bot == "rec"
    assert recording.reply.decoded() == {"text": "hi", "approval_choice": "approved"}
    assert TOKEN not in recording.request.body


async def test_a_failing_recorder_does_not_cost_the_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = approver(tmp_path)
    assert bot.recorder is not None

    def broken(recording: RecordedDelivery) -> None:
        raise OSError("disk full")

    bot.recorder.record = broken  # type: ignore[method-assign]
    reply = await BotTester(bot).send(purchase_task())
    assert reply.status == 200 and reply.rejected
    assert "could not record a delivery: OSError" in caplog.text
