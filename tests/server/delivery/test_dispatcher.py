"""The HTTP side alone: outcomes of real calls to bots on loopback."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme
from delivery_bots import HalfAnswerServer, ScriptedBot, free_port, hang, respond

from pyrus_bots.server.delivery.dispatcher import HookClient
from pyrus_bots.server.settings import Settings

HEADERS = {"Content-Type": "application/json", "User-Agent": "Pyrus-Bot-4"}


def client(**kw: object) -> HookClient:
    options: dict[str, object] = {
        "policy": "default",
        "timeout": 0.5,
        "ca_bundle": None,
        "max_body": 1024,
        "dns_cache_seconds": Settings().dns_cache_seconds,
    }
    options.update(kw)
    return HookClient(**options)  # type: ignore[arg-type]


async def test_status_outcomes_and_no_redirects() -> None:
    hook = client()
    for status, outcome in [
        (200, "success"),
        (204, "success"),
        (500, "http_500"),
        (404, "http_404"),
        (302, "http_302"),
    ]:
        bot = await ScriptedBot(respond(status, Location="http://127.0.0.1:1/")).start()
        result = await hook.post(bot.url, b"{}", HEADERS)
        assert result.outcome == outcome
        assert len(bot.received) == 1  # the redirect was not followed
        await bot.stop()
    await hook.close()


async def test_connection_failures() -> None:
    hook = client()
    refused = await hook.post(f"http://127.0.0.1:{free_port()}/", b"{}", HEADERS)
    assert refused.outcome == "connection_refused"
    slow = await ScriptedBot(hang()).start()
    timeout = await hook.post(slow.url, b"{}", HEADERS)
    assert timeout.outcome == "timeout"
    assert 0.45 < timeout.latency < 1.5
    half = await HalfAnswerServer().start()
    reset = await hook.post(half.url, b"{}", HEADERS)
    assert reset.outcome == "connection_reset"
    await half.stop()
    await hook.close()
    await slow.stop()


async def test_long_reply_is_cut() -> None:
    hook = client(max_body=1000)
    bot = await ScriptedBot(respond(200, b"x" * 5000)).start()
    result = await hook.post(bot.url, b"{}", HEADERS)
    assert result.ok and result.body_truncated and len(result.body) <= 1000
    await bot.stop()
    await hook.close()


async def test_policy_refuses_before_connecting() -> None:
    default = client()
    metadata = await default.post("http://169.254.169.254/latest/meta-data", b"{}", HEADERS)
    assert metadata.outcome.startswith("refused_by_policy: link-local")
    await default.close()
    public = client(policy="public-only")
    bot = await ScriptedBot(respond(200)).start()
    by_ip = await public.post(bot.url.replace("http:", "https:"), b"{}", HEADERS)
    assert by_ip.outcome.startswith("refused_by_policy: loopback")
    by_name = await public.post(f"https://localhost:{bot.port}/", b"{}", HEADERS)
    assert by_name.outcome.startswith("refused_by_policy: localhost resolves to loopback")
    assert bot.received == []
    await bot.stop()
    await public.close()


async def test_https_verification(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    bot = await ScriptedBot(respond(200, b"{}"), ssl_context=server_ctx).start()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    trusted = client(ca_bundle=str(bundle))
    assert (await trusted.post(bot.url, b"{}", HEADERS)).outcome == "success"
    untrusted = client()
    failed = await untrusted.post(bot.url, b"{}", HEADERS)
    assert failed.outcome == "tls_error"
    await trusted.close()
    await untrusted.close()
    await bot.stop()
