"""The per-bot call limit, the hook URL policy and HTTPS verification, through the worker."""

from __future__ import annotations

from pathlib import Path

import orjson
import trustme
from delivery_bots import ScriptedBot, ThreadedServer, respond
from delivery_platform import BOT_ID, BOT_SECRET, FORM_ID, PlatformFactory

from pyrus_bots.server.delivery import metrics

APPROVE = orjson.dumps({"text": "ok", "approval_choice": "approved"})


async def test_rate_limit_delays_but_delivers_everything(platform: PlatformFactory) -> None:
    bot = await ScriptedBot(respond(200, APPROVE)).start()
    p = await platform(bot.url, bot_call_limit=(5, 2.0))
    waits_before = metrics.RATE_LIMIT_WAITS._value.get()
    task_ids = [await p.create_task(f"item {i}") for i in range(20)]
    for task_id in task_ids:
        await p.wait_settled(task_id, within=20)
    times = sorted(r.at for r in bot.received)
    # Every task was delivered; on a loaded machine a slow answer may add a retry, which counts
    # against the limit like any call.
    assert len(times) >= 20
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t - start <= 2.0) <= 5, times
    assert times[-1] - times[0] >= 6.0  # 20 calls, 5 per 2 s: at least three full windows
    waited = [a for t in task_ids for a in await p.attempts(t) if a.rate_limit_wait_ms > 0]
    assert len(waited) >= 15
    assert metrics.RATE_LIMIT_WAITS._value.get() - waits_before >= 15
    for task_id in task_ids:
        task, _ = await p.task(task_id)
        assert task.current_step == 2
    await bot.stop()


async def test_link_local_hook_refused_under_default(platform: PlatformFactory) -> None:
    p = await platform("http://169.254.169.254/latest/meta-data/")
    task_id = await p.create_task()
    [row] = await p.wait_settled(task_id)
    attempts = await p.attempts(task_id)
    assert row.state == "failed" and len(attempts) == 3
    assert all(a.outcome.startswith("refused_by_policy: link-local") for a in attempts)


async def test_loopback_hook_refused_under_public_only(platform: PlatformFactory) -> None:
    bot = await ScriptedBot(respond(200, APPROVE)).start()
    p = await platform(f"https://localhost:{bot.port}/", hook_policy="public-only")
    task_id = await p.create_task()
    [row] = await p.wait_settled(task_id)
    attempts = await p.attempts(task_id)
    assert row.state == "failed" and bot.received == []
    assert all("loopback" in a.outcome for a in attempts)
    await bot.stop()


async def test_https_bot_with_ca_bundle_and_without(
    platform: PlatformFactory, tmp_path: Path
) -> None:
    from pyrus_bots.bot import Bot, Reply

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, bundle = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(bundle))
    sdk_bot = Bot(BOT_SECRET)

    @sdk_bot.on_task(form_id=FORM_ID)
    async def check(event: object) -> Reply:
        return Reply.approve("over TLS")

    server = ThreadedServer(sdk_bot.asgi(), asgi=True, certfile=str(certfile), keyfile=str(keyfile))
    assert server.url.startswith("https://")
    p = await platform(server.url, hook_ca_bundle=str(bundle))
    task_id = await p.create_task()
    await p.wait_settled(task_id)
    task, comments = await p.task(task_id)
    assert task.current_step == 2 and comments[-1].author_id == BOT_ID
    await p.service.stop()

    # The same bot, without the CA: every attempt fails with tls_error.
    untrusted = type(p.service)(
        p.database,
        p.settings.__class__(retry_schedule=(0.0, 0.1, 0.2), bot_timeout=0.5),
        p.service.clock,
    )
    await untrusted.start()
    second = await p.create_task()
    [row] = await p.wait_settled(second)
    attempts = await p.attempts(second)
    assert row.state == "failed"
    assert [a.outcome for a in attempts] == ["tls_error"] * 3
    await untrusted.stop()
    server.stop()
