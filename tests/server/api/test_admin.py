"""The admin JSON API and its token (DESIGN 3.3): open on loopback without a token, closed
without the right token once one is set; security keys only in create / reset answers."""

from __future__ import annotations

import json
from pathlib import Path

from api.harness import (
    ADMIN_TOKEN,
    BOT_ID,
    BOT_KEY,
    BOT_LOGIN,
    CATALOG_ID,
    FORM_ID,
    RunningServer,
    assert_error,
    make_api_workspace,
    serve_in_thread,
)
from pyrus_bots.server.admin.auth import admin_allowed
from pyrus_bots.server.settings import Settings


def test_loopback_without_token_is_open(shared_server: RunningServer) -> None:
    admin = shared_server.client()
    people = admin.get("/admin/api/people").json()["people"]
    alice = next(p for p in people if p["email"] == "alice@acme.test")
    assert alice["rights"] == ["manage_integrations_and_catalogs"]
    assert admin.get("/admin/api/forms").json()["forms"][0]["id"] == FORM_ID
    assert admin.get(f"/admin/api/forms/{FORM_ID}").json()["name"] == "Purchase request"
    assert admin.get(f"/admin/api/catalogs/{CATALOG_ID}").json()["items"]
    assert admin.get("/admin/api/roles").json()["roles"][0]["name"] == "Managers"
    bots = admin.get("/admin/api/bots").text
    assert BOT_LOGIN in bots and BOT_KEY not in bots
    assert_error(admin.get("/admin/api/forms/1"), 404, "not_found")


def test_token_required_when_set(shared_server: RunningServer) -> None:
    # The settings are read per request: give this server a token for the test's duration.
    shared_server.settings.admin_token = ADMIN_TOKEN
    try:
        _check_token_required(shared_server)
    finally:
        shared_server.settings.admin_token = None


def _check_token_required(server: RunningServer) -> None:
    anonymous = server.client()
    assert_error(anonymous.get("/admin/api/people"), 401, "authorization_error")
    assert_error(server.client("wrong").get("/admin/api/people"), 401, "authorization_error")
    assert server.client(ADMIN_TOKEN).get("/admin/api/people").status_code == 200
    header = anonymous.get("/admin/api/people", headers={"X-Admin-Token": ADMIN_TOKEN})
    assert header.status_code == 200
    cookie = server.client(cookies={"pyrus_bots_admin": ADMIN_TOKEN}).get("/admin/api/bots")
    assert cookie.status_code == 200
    # The Pyrus API does not take the admin token.
    assert_error(server.client(ADMIN_TOKEN).get("/v4/forms"), 401, "invalid_token")


def test_admin_bot_create_update_reset_key(shared_server: RunningServer) -> None:
    admin = shared_server.client()
    created = admin.post("/admin/api/bots", json={"name": "Admin-made", "bot_settings": "x"})
    assert created.status_code == 200, created.text
    bot = created.json()
    old_token = shared_server.token(bot["login"], bot["security_key"])
    updated = admin.put(f"/admin/api/bots/{bot['id']}", json={"hook_url": "http://127.0.0.1:1/"})
    assert (
        updated.json()["hook_url"] == "http://127.0.0.1:1/" and "security_key" not in updated.json()
    )
    reset = admin.post(f"/admin/api/bots/{bot['id']}/reset-key").json()
    assert reset["security_key"] and reset["security_key"] != bot["security_key"]
    assert_error(shared_server.client(old_token).get("/v4/profile"), 401, "revoked_token")
    assert shared_server.token(bot["login"], reset["security_key"])
    assert admin.get(f"/admin/api/bots/{BOT_ID}").json()["login"] == BOT_LOGIN
    assert_error(admin.put("/admin/api/bots/424242", json={"name": "x"}), 404, "not_found")
    assert_error(admin.post("/admin/api/bots", json={"name": 1}), 400, "invalid_value_format")


def test_cross_site_requests_are_refused_without_a_token(shared_server: RunningServer) -> None:
    """What a page on another site makes the user's browser send to a loopback server."""
    admin = shared_server.client()
    # DNS rebinding: the page's own name now points at 127.0.0.1.
    rebound = admin.get("/admin/api/bots", headers={"Host": "evil.example:8000"})
    assert_error(rebound, 403, "access_denied")
    # A form or fetch() from another origin that would create a bot and read its key.
    foreign = {"Origin": "https://evil.example"}
    created = admin.post("/admin/api/bots", json={"name": "Planted"}, headers=foreign)
    assert_error(created, 403, "access_denied")
    fetched = admin.post(
        f"/admin/api/bots/{BOT_ID}/pause", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert_error(fetched, 403, "access_denied")
    # A "simple" cross-site request carries no preflight: text/plain with a JSON-looking body.
    plain = admin.post(
        "/admin/api/bots",
        content=json.dumps({"name": "Planted"}),
        headers={"Content-Type": "text/plain"},
    )
    assert_error(plain, 415, "unsupported_media_type")
    assert all(b["name"] != "Planted" for b in admin.get("/admin/api/bots").json()["bots"])
    # The same change from the server's own origin, or from a script (no Origin), goes through.
    own = {"Origin": shared_server.base_url}
    assert admin.get("/admin/api/bots", headers={"Host": "localhost"}).status_code == 200
    paused = admin.post(f"/admin/api/bots/{BOT_ID}/pause", headers=own)
    assert paused.status_code == 200, paused.text
    assert admin.post(f"/admin/api/bots/{BOT_ID}/resume").status_code == 200


def test_admin_allowed_rules() -> None:
    loopback = Settings(host="127.0.0.1")
    assert admin_allowed(loopback, None)
    wide = Settings(host="0.0.0.0")
    assert not admin_allowed(wide, None) and not admin_allowed(wide, "anything")
    guarded = Settings(host="0.0.0.0", admin_token="secret")
    assert admin_allowed(guarded, "secret") and not admin_allowed(guarded, "secreT")
    assert not admin_allowed(guarded, None)


def test_worker_role_serves_only_health_and_metrics(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace.json"
    workspace.write_text(json.dumps(make_api_workspace()))
    settings = Settings(
        host="127.0.0.1",
        port=0,
        db=f"sqlite:///{tmp_path / 'w.db'}",
        workspace=str(workspace),
        role="worker",
    )
    worker = serve_in_thread(settings)
    try:
        client = worker.client()
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/metrics").status_code == 200
        assert_error(
            client.post("/v4/auth", json={"login": "a", "security_key": "b"}), 404, "not_found"
        )
        assert_error(client.get("/admin/api/people"), 404, "not_found")
    finally:
        worker.stop()
