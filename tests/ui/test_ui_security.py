"""Web UI sign-in security over real HTTP, on SQLite and PostgreSQL: passwords (not security
keys), server-side sessions, password reset by the administrator, throttling, forms restricted
to their members."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml
from ui_helpers import DEMO_WORKSPACE, LiveServer, post_form, sign_in

from pyrus_bots.server.admin.ui_session import COOKIE_NAME

ADMIN_TOKEN = "ui-security-admin-token"
NEW_PASSWORD_RE = re.compile(r'data-testid="new-password">([^<]+)<')

Start = Callable[..., LiveServer]


def test_people_sign_in_with_a_password_not_their_security_key(
    ui_server: Start, db_url: str
) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN, db_url=db_url)
    with server.client() as client:
        by_key = sign_in(client, login="alice@demo.test", password="alice-demo-key")
        assert by_key.status_code == 401 and "wrong password" in by_key.text
        by_password = sign_in(client, login="alice@demo.test", password="alice-demo-password")
        assert by_password.status_code == 303
        home = client.get("/ui/")
        assert home.status_code == 200 and "Alice" in home.text


def test_signing_out_ends_the_session_on_the_server(ui_server: Start, db_url: str) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN, db_url=db_url)
    with server.client() as client:
        assert sign_in(client, login="erin@demo.test", password="erin-demo-password").is_redirect
        cookie = client.cookies[COOKIE_NAME]
        assert post_form(client, "/ui/tasks", "/ui/logout").status_code == 303
    with server.client() as replay:  # a copy of the cookie taken before signing out
        replay.cookies.set(COOKIE_NAME, cookie, path="/ui")
        answer = replay.get("/ui/tasks")
        assert answer.status_code == 303 and "/ui/login" in answer.headers["location"]


def test_an_administrator_resets_a_password(ui_server: Start, db_url: str) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN, db_url=db_url)
    with server.client() as erin, server.client() as admin:
        assert sign_in(erin, login="erin@demo.test", password="erin-demo-password").is_redirect
        assert erin.get("/ui/tasks").status_code == 200
        refused = erin.post("/admin/api/people/1003/password", json={})
        assert refused.status_code == 401
        reset = admin.post(
            "/admin/api/people/1003/password", json={}, headers={"X-Admin-Token": ADMIN_TOKEN}
        )
        assert reset.status_code == 200, reset.text
        generated = reset.json()["password"]
        assert erin.get("/ui/tasks").status_code == 303  # the reset ended Erin's session
        with server.client() as again:
            old = sign_in(again, login="erin@demo.test", password="erin-demo-password")
            assert old.status_code == 401
            assert sign_in(again, login="erin@demo.test", password=generated).status_code == 303
        # The API key is untouched: it stays the API secret.
        auth = admin.post(
            "/v4/auth", json={"login": "erin@demo.test", "security_key": "erin-demo-key"}
        )
        assert auth.status_code == 200
        short = admin.post(
            "/admin/api/people/1003/password",
            json={"password": "short"},
            headers={"X-Admin-Token": ADMIN_TOKEN},
        )
        assert short.status_code == 400

        assert sign_in(admin, admin_token=ADMIN_TOKEN).status_code == 303
        assert "Reset password" in admin.get("/ui/people").text
        page = post_form(admin, "/ui/people", "/ui/people/1002/password")
        assert page.status_code == 200
        found = NEW_PASSWORD_RE.search(page.text)
        assert found is not None
        with server.client() as mark:
            assert sign_in(mark, login="mark@demo.test", password=found.group(1)).is_redirect
            assert "Reset password" not in mark.get("/ui/people").text
            denied = post_form(mark, "/ui/people", "/ui/people/1003/password")
            assert denied.status_code in (400, 403)


def test_failed_ui_sign_ins_are_throttled(ui_server: Start, db_url: str) -> None:
    server = ui_server(
        admin_token=ADMIN_TOKEN, db_url=db_url, sign_in_account_failures=2, sign_in_backoff=60.0
    )
    with server.client() as client:
        for _ in range(3):
            assert sign_in(client, login="mark@demo.test", password="guess").status_code == 401
        blocked = sign_in(client, login="mark@demo.test", password="mark-demo-password")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert "Too many failed sign-ins" in blocked.text


def test_a_restricted_form_is_not_shown_to_a_non_member(
    ui_server: Start, db_url: str, tmp_path: Path
) -> None:
    data = yaml.safe_load(DEMO_WORKSPACE.read_text())
    restricted = data["forms"][0]
    restricted["members"] = ["alice@demo.test"]
    path = tmp_path / "restricted.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    server = ui_server(admin_token=ADMIN_TOKEN, db_url=db_url, workspace=path)
    form_id, name = restricted["id"], restricted["name"]
    with server.client() as erin:
        assert sign_in(erin, login="erin@demo.test", password="erin-demo-password").is_redirect
        token = httpx.post(
            server.base_url + "/v4/auth",
            json={"login": "erin@demo.test", "security_key": "erin-demo-key"},
        ).json()["access_token"]
        api = httpx.get(
            f"{server.base_url}/v4/forms/{form_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 403
        assert erin.get(f"/ui/forms/{form_id}").status_code == 403
        assert name not in erin.get("/ui/forms").text
        new_task = erin.get(f"/ui/tasks/new?form={form_id}")
        assert new_task.status_code == 200 and name not in new_task.text
    with server.client() as alice:
        assert sign_in(alice, login="alice@demo.test", password="alice-demo-password").is_redirect
        assert alice.get(f"/ui/forms/{form_id}").status_code == 200
