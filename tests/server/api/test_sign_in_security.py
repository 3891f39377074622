"""Sign-in throttling, admin tokens, secrets at rest, security headers, the access log and the
periodic purge, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text, func, select, type_coerce

from api.harness import (
    ADMIN_TOKEN,
    ALICE,
    BOB,
    BOT_ID,
    BOT_KEY,
    BOT_LOGIN,
    RunningServer,
    StartServer,
    assert_error,
)
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.models import PersonRow, TokenRow

ACCESS_LOGGER = "uvicorn.access"


def _auth(server: RunningServer, login: str, key: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v4/auth", json={"login": login, "security_key": key})


def _retry_after(response: httpx.Response) -> int:
    assert_error(response, 429, "too_many_requests")
    return int(response.headers["Retry-After"])


def test_wrong_keys_block_the_account_with_backoff(start_server: StartServer) -> None:
    server = start_server(sign_in_account_failures=3, sign_in_backoff=30.0)
    for _ in range(4):  # three free failures, then each further one blocks the account
        assert_error(_auth(server, ALICE["email"], "guess"), 401, "invalid_credentials")
    blocked = _auth(server, ALICE["email"], ALICE["key"])  # even the right key waits
    assert 1 <= _retry_after(blocked) <= 30
    assert _auth(server, BOB["email"], BOB["key"]).status_code == 200  # other accounts sign in
    server.clock.advance(31)
    assert _auth(server, ALICE["email"], ALICE["key"]).status_code == 200
    # The block doubles: after the success the count starts again from zero.
    for _ in range(4):
        assert_error(_auth(server, ALICE["email"], "guess"), 401, "invalid_credentials")
    assert_error(_auth(server, ALICE["email"], "guess"), 429, "too_many_requests")


def test_wrong_keys_from_one_address_block_it_for_every_account(
    start_server: StartServer,
) -> None:
    server = start_server(sign_in_address_failures=3, sign_in_backoff=30.0)
    for number in range(4):
        assert_error(_auth(server, f"nobody{number}@acme.test", "x"), 401, "invalid_credentials")
    _retry_after(_auth(server, BOB["email"], BOB["key"]))
    legacy = httpx.get(
        f"{server.base_url}/v4/auth", params={"login": BOB["email"], "security_key": BOB["key"]}
    )
    _retry_after(legacy)


def test_the_throttle_is_shared_by_every_process(start_server: StartServer) -> None:
    first = start_server(sign_in_account_failures=2, sign_in_backoff=60.0)
    second = start_server(sign_in_account_failures=2, sign_in_backoff=60.0)
    for _ in range(3):
        assert_error(_auth(first, ALICE["email"], "guess"), 401, "invalid_credentials")
    _retry_after(_auth(second, ALICE["email"], ALICE["key"]))


def test_admin_token_guesses_are_throttled_and_never_read_from_the_query(
    start_server: StartServer,
) -> None:
    server = start_server(admin_token=ADMIN_TOKEN, sign_in_address_failures=2)
    url = f"{server.base_url}/admin/api/people"
    assert httpx.get(url, params={"admin_token": ADMIN_TOKEN}).status_code == 401
    for _ in range(3):
        assert_error(httpx.get(url, headers={"X-Admin-Token": "guess"}), 401, "authorization_error")
    _retry_after(httpx.get(url, headers={"X-Admin-Token": ADMIN_TOKEN}))


def test_security_headers(server: RunningServer) -> None:
    with server.client() as client:
        page = client.get("/ui/login")
        api = client.get("/v4/forms")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_the_access_log_never_shows_a_security_key(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        # How uvicorn writes a request line (the app installed the filter when it started).
        path = f"/v4/auth?login=a%40acme.test&security_key={ALICE['key']}&admin_token=T1"
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", path, "1.1", 200)
    line = caplog.records[-1].getMessage()
    assert ALICE["key"] not in line and "T1" not in line
    assert "security_key=***" in line and "login=a%40acme.test" in line


async def _stored_secrets(database: Database) -> dict[int, Any]:
    async with database.session() as s:
        table = PersonRow.__table__
        raw = type_coerce(table.c.sealed_key, Text).label("sealed_key")  # as stored
        rows = await s.execute(select(table.c.id, table.c.security_key, raw, table.c.key_hash))
        return {row.id: row for row in rows}


def test_keys_at_rest_people_hashed_bots_sealed(start_server: StartServer) -> None:
    from pyrus_bots.server.store.secrets import EMBEDDED_KEY, configure_secrets_key

    key = Fernet.generate_key().decode()
    try:
        server = start_server(secrets_key=key)
        rows = server.call(_stored_secrets)
        alice, bot = rows[ALICE["id"]], rows[BOT_ID]
        assert alice.security_key is None and alice.sealed_key is None
        assert alice.key_hash is not None and ALICE["key"] not in alice.key_hash
        assert bot.security_key is None and BOT_KEY not in bot.sealed_key
        sealed = bot.sealed_key.removeprefix("fernet:").encode()
        assert Fernet(key).decrypt(sealed).decode() == BOT_KEY
        with pytest.raises(InvalidToken):  # the public embedded key does not open it
            Fernet(EMBEDDED_KEY).decrypt(sealed)
        assert _auth(server, ALICE["email"], ALICE["key"]).status_code == 200
        assert _auth(server, BOT_LOGIN, BOT_KEY).status_code == 200
        server.stop()
        # Rotation: "NEW,OLD" reads the old seal and re-seals under the new key at start.
        new_key = Fernet.generate_key().decode()
        rotated = start_server(secrets_key=f"{new_key},{key}")
        resealed = rotated.call(_stored_secrets)[BOT_ID].sealed_key.removeprefix("fernet:")
        assert Fernet(new_key).decrypt(resealed.encode()).decode() == BOT_KEY
        assert _auth(rotated, BOT_LOGIN, BOT_KEY).status_code == 200
    finally:
        configure_secrets_key(None)


async def _token_rows(database: Database) -> int:
    async with database.session() as s:
        return int(await s.scalar(select(func.count()).select_from(TokenRow)) or 0)


def test_expired_tokens_are_purged_periodically(start_server: StartServer) -> None:
    server = start_server(purge_interval=0.05, token_ttl=60.0)
    _auth(server, ALICE["email"], ALICE["key"]).raise_for_status()
    assert server.call(_token_rows) >= 1
    server.clock.advance(3600)
    deadline = time.monotonic() + 20
    while server.call(_token_rows) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.call(_token_rows) == 0
