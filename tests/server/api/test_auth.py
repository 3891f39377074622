"""Auth, tokens and the per-user API rate limit (spec 4.1, 4.0, 7 items 24-26, 39)."""

from __future__ import annotations

import httpx
import pytest

from api.harness import (
    ALICE,
    BOB,
    BOT_ID,
    BOT_KEY,
    BOT_LOGIN,
    RunningServer,
    assert_error,
)
from pyrus_bots.server.api.ratelimit import InMemoryRateLimiter
from pyrus_bots.server.store import tokens


@pytest.mark.parametrize("prefix", ["/v4", "/api/v4"])
def test_auth_post_answers_token_and_this_server(shared_server: RunningServer, prefix: str) -> None:
    response = httpx.post(
        f"{shared_server.base_url}{prefix}/auth",
        json={"login": ALICE["email"], "security_key": ALICE["key"]},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "api_url", "files_url"}
    assert body["api_url"] == f"{shared_server.base_url}/v4/"
    assert body["files_url"] == f"{shared_server.base_url}/"
    profile = shared_server.client(body["access_token"]).get(f"{prefix}/profile")
    assert profile.json()["person_id"] == ALICE["id"]


def test_legacy_get_auth_and_case_insensitive_login(shared_server: RunningServer) -> None:
    response = httpx.get(
        f"{shared_server.base_url}/v4/auth",
        params={"login": ALICE["email"].upper(), "security_key": ALICE["key"]},
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_bot_logs_in_with_login_and_security_key(shared_server: RunningServer) -> None:
    token = shared_server.token(BOT_LOGIN, BOT_KEY)
    profile = shared_server.client(token).get("/v4/profile").json()
    assert profile["person_id"] == BOT_ID and profile["type"] == "bot"


@pytest.mark.parametrize(
    ("login", "key"),
    [
        (ALICE["email"], "wrong"),
        ("nobody@acme.test", "alice-key"),
        (BOT_LOGIN, ALICE["key"]),
        (ALICE["email"], ""),
    ],
)
def test_wrong_credentials(shared_server: RunningServer, login: str, key: str) -> None:
    response = httpx.post(
        f"{shared_server.base_url}/v4/auth", json={"login": login, "security_key": key}
    )
    body = assert_error(response, 401, "invalid_credentials")
    assert ALICE["key"] not in body["error"] and BOT_KEY not in body["error"]


def test_auth_body_errors(shared_server: RunningServer) -> None:
    url = f"{shared_server.base_url}/v4/auth"
    assert_error(httpx.post(url, content=b""), 400, "empty_body")
    assert_error(httpx.post(url, content=b"{login"), 400, "invalid_json")
    assert_error(httpx.post(url, json=["x"]), 400, "invalid_json")
    assert_error(httpx.post(url, json={"login": ALICE["email"]}), 400, "required_parameter_missing")
    assert_error(
        httpx.post(url, json={"login": 5, "security_key": "x"}), 400, "invalid_value_format"
    )
    assert_error(httpx.get(url, params={"login": "x"}), 400, "required_parameter_missing")


def test_token_errors(shared_server: RunningServer) -> None:
    anonymous = shared_server.client()
    assert_error(anonymous.get("/v4/forms"), 401, "token_not_specified")
    assert_error(
        anonymous.get("/v4/forms", headers={"Authorization": "Basic abc"}), 401, "invalid_token"
    )
    assert_error(shared_server.client("not-a-token").get("/v4/forms"), 401, "invalid_token")


def test_expired_and_revoked_tokens(shared_server: RunningServer) -> None:
    server = shared_server
    token = server.token(BOB["email"], BOB["key"])
    client = server.client(token)
    assert client.get("/v4/profile").status_code == 200
    shift = server.settings.token_ttl + 1
    server.clock.advance(shift)
    try:
        assert_error(client.get("/v4/profile"), 401, "expired_token")
    finally:
        server.clock.advance(-shift)

    fresh = server.token(BOB["email"], BOB["key"])

    async def revoke(database: object) -> int:
        async with server.database.session() as session, session.begin():
            return await tokens.revoke_tokens(session, BOB["id"])

    assert server.call(revoke) >= 1
    assert_error(server.client(fresh).get("/v4/profile"), 401, "revoked_token")


def test_rate_limit_headers_and_429(shared_server: RunningServer) -> None:
    # A small limit for this test only (the limiter is read from the app state per request).
    server = shared_server
    state = server.app.state.api
    saved = state.limiter
    state.limiter = InMemoryRateLimiter(3, 600.0)
    try:
        _check_rate_limit(server)
    finally:
        state.limiter = saved


def _check_rate_limit(server: RunningServer) -> None:
    alice = server.client(server.token(ALICE["email"], ALICE["key"]))
    remaining = []
    for _ in range(3):
        response = alice.get("/v4/profile")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert 0 < int(response.headers["X-RateLimit-Reset"]) <= 600
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    limited = alice.get("/v4/forms")
    assert_error(limited, 429, "too_many_requests")
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    # Errors of an authenticated caller are counted and reported too.
    assert_error(alice.get("/v4/tasks/999999"), 429, "too_many_requests")
    # The limit is per user: Bob still passes.
    bob = server.client(server.token(BOB["email"], BOB["key"]))
    assert bob.get("/v4/profile").status_code == 200
    # A new window starts after the window length.
    server.clock.advance(601)
    try:
        again = alice.get("/v4/profile")
    finally:
        server.clock.advance(-601)
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"
