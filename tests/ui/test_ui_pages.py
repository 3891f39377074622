"""The web UI over real HTTP: sign-in rules, bots, tasks, workspace pages (no browser)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

import httpx
import pytest
from ui_helpers import LiveServer, csrf_of, post_form, sign_in

from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store.db import Database

ADMIN_TOKEN = "ui-test-admin-token"
PURCHASE_CHECK_KEY = "purchase-check-demo-secret"
FLAKY_LOGIN = "bot@e6488cf2409615362cf7"
PAUSED_BADGE = '<span class="badge warn">paused</span>'
NEW_KEY_RE = re.compile(r'data-testid="new-key">([^<]+)<')

Start = Callable[..., LiveServer]


def test_loopback_without_token_needs_no_sign_in(ui_server: Start) -> None:
    server = ui_server()
    with server.client() as client:
        home = client.get("/ui/")
        assert home.status_code == 200
        assert "administrator (local, no token)" in home.text
        for path in (
            "/ui/tasks",
            "/ui/bots",
            "/ui/people",
            "/ui/roles",
            "/ui/forms",
            "/ui/forms/321",
            "/ui/catalogs",
            "/ui/tasks/new?form=321",
        ):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "<h1>" in page.text
        assert client.get("/ui/static/htmx.min.js").status_code == 200
        assert client.get("/ui/static/../ui.py").status_code == 404
        # A page on another site that rebinds its name to 127.0.0.1 is no administrator.
        rebound = client.get("/ui/bots", headers={"Host": "evil.example"}, follow_redirects=False)
        assert rebound.status_code in (302, 303) and "/ui/login" in rebound.headers["location"]


def test_with_an_admin_token_every_page_asks_to_sign_in(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as client:
        answer = client.get("/ui/bots")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/ui/login?next=")
        wrong = sign_in(client, admin_token="not-it")
        assert wrong.status_code == 401 and "The admin token is wrong." in wrong.text
        right = sign_in(client, admin_token=ADMIN_TOKEN)
        assert right.status_code == 303
        assert ADMIN_TOKEN not in right.headers.get("set-cookie", "")
        bots = client.get("/ui/bots")
        assert bots.status_code == 200 and "Create a bot" in bots.text
        signed_out = post_form(client, "/ui/bots", "/ui/logout")
        assert signed_out.status_code == 303
        assert client.get("/ui/bots").status_code == 303


def test_the_admin_token_is_never_taken_from_the_query_string(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as client:
        # A URL ends up in access logs, proxies and browser history: the token is refused there.
        assert client.get(f"/ui/bots?admin_token={ADMIN_TOKEN}").status_code == 303
        header = client.get("/ui/bots", headers={"X-Admin-Token": ADMIN_TOKEN})
        assert header.status_code == 200 and ADMIN_TOKEN not in header.text
        assert client.get("/ui/tasks").status_code == 303  # a header signs no browser in


def test_a_bot_login_is_refused_with_a_clear_message(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as client:
        answer = sign_in(client, login="bot@64b5857117b7ca67e35e", password=PURCHASE_CHECK_KEY)
        assert answer.status_code == 403
        assert "a bot login only gets API tokens" in answer.text
        assert PURCHASE_CHECK_KEY not in answer.text
        wrong = sign_in(client, login="erin@demo.test", password="nope")
        assert wrong.status_code == 401 and "wrong password" in wrong.text


def test_forms_without_the_csrf_token_are_refused(ui_server: Start) -> None:
    server = ui_server()
    with server.client() as client:
        client.get("/ui/bots")
        answer = client.post("/ui/bots", data={"name": "Sneaky", "csrf": "forged"})
        assert answer.status_code == 400 and "Form expired" in answer.text
        assert "Sneaky" not in client.get("/ui/bots").text


def test_only_people_with_the_right_may_change_bots(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as erin:
        assert (
            sign_in(erin, login="erin@demo.test", password="erin-demo-password").status_code == 303
        )
        page = erin.get("/ui/bots")
        assert page.status_code == 200
        assert "Purchase check" in page.text and "Create a bot" not in page.text
        refused = erin.post("/ui/bots", data={"csrf": csrf_of(page.text), "name": "Mine"})
        assert refused.status_code == 403
        assert erin.get("/ui/bots/2003/deliveries").status_code == 403


def test_creating_a_bot_shows_its_key_once(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as alice:
        sign_in(alice, login="alice@demo.test", password="alice-demo-password")
        created = post_form(
            alice,
            "/ui/bots",
            "/ui/bots",
            name="Invoice reader",
            hook_url="http://127.0.0.1:9/hook",
            settings='{"x": 1}',
        )
        assert created.status_code == 200, created.text
        key = NEW_KEY_RE.search(created.text)
        assert key is not None
        login = re.search(r"<code>(bot@[0-9a-f]{20})</code>", created.text)
        assert login is not None
        listing = alice.get("/ui/bots")
        assert "Invoice reader" in listing.text and key.group(1) not in listing.text
        # The new bot can get an API token with that key: the key shown is the real one.
        auth = httpx.post(
            server.base_url + "/v4/auth",
            json={"login": login.group(1), "security_key": key.group(1)},
        )
        assert auth.status_code == 200 and auth.json()["access_token"]
        bad_url = post_form(alice, "/ui/bots", "/ui/bots", name="X", hook_url="ftp://x")
        assert bad_url.status_code == 400 and "must be an http:// or https://" in bad_url.text


def test_editing_a_bot_and_resetting_its_key(ui_server: Start) -> None:
    server = ui_server()
    old_key = {"login": "bot@e6488cf2409615362cf7", "security_key": "flaky-notifier-demo-secret"}
    old_token = httpx.post(server.base_url + "/v4/auth", json=old_key).json()["access_token"]
    with server.client() as client:
        page = client.get("/ui/bots/2003")
        assert page.status_code == 200
        assert "flaky-notifier-demo-secret" not in page.text and "••••••••" in page.text
        saved = client.post(
            "/ui/bots/2003",
            data={
                "csrf": csrf_of(page.text),
                "name": "Flaky notifier",
                "hook_url": "http://127.0.0.1:5103/",
                "settings": '{"failures": 4}',
                "enabled": "1",
            },
        )
        assert saved.status_code == 303
        assert "{&#34;failures&#34;: 4}" in client.get("/ui/bots/2003").text
        reset = post_form(client, "/ui/bots/2003", "/ui/bots/2003/reset-key")
        assert reset.status_code == 200
        new_key = NEW_KEY_RE.search(reset.text)
        assert new_key is not None and new_key.group(1) != "flaky-notifier-demo-secret"
        assert new_key.group(1) not in client.get("/ui/bots/2003").text
        old = httpx.post(server.base_url + "/v4/auth", json=old_key)
        assert old.status_code == 401
        # A token issued with the old key stops working too, as after the admin API's reset.
        profile = httpx.get(
            server.base_url + "/v4/profile", headers={"Authorization": f"Bearer {old_token}"}
        )
        assert profile.status_code == 401 and profile.json()["error_code"] == "revoked_token"


def test_a_person_creates_a_task_and_comments_on_it(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as erin:
        sign_in(erin, login="erin@demo.test", password="erin-demo-password")
        form_page = erin.get("/ui/tasks/new?form=321")
        assert 'for="field-2"' in form_page.text and 'type="number"' in form_page.text
        bad = erin.post(
            "/ui/tasks/new",
            data={"csrf": csrf_of(form_page.text), "form": "321", "f2": "a lot"},
        )
        assert bad.status_code == 400 and "is not a number" in bad.text
        created = erin.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(form_page.text),
                "form": "321",
                "f1": "Desk",
                "f2": "420",
                "f3": "1",
            },
        )
        assert created.status_code == 303, created.text
        task_path = created.headers["location"].split("?")[0]
        task = erin.get(task_path)
        assert task.status_code == 200
        assert "Desk" in task.text and "420.00" in task.text and "Automatic check" in task.text
        assert 'hx-trigger="every 2s"' in task.text  # followed live while open
        commented = erin.post(
            task_path + "/comments",
            data={"csrf": csrf_of(task.text), "text": "Needed for the new office"},
        )
        assert commented.status_code == 303
        assert "Needed for the new office" in erin.get(task_path).text
        listing = erin.get("/ui/tasks?form=321&state=all")
        assert "Desk" in listing.text
    with server.client() as alice:
        sign_in(alice, login="alice@demo.test", password="alice-demo-password")
        hidden = alice.get(task_path)
        assert hidden.status_code == 403 and "Desk" not in hidden.text
        assert "Desk" not in alice.get("/ui/tasks?state=all").text


def test_the_administrator_comments_as_a_chosen_person(ui_server: Start) -> None:
    server = ui_server()
    with server.client() as client:
        form_page = client.get("/ui/tasks/new?form=322")
        created = client.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(form_page.text),
                "form": "322",
                "as_person": "1003",
                "f1": "Printer jam",
            },
        )
        assert created.status_code == 303, created.text
        task_path = created.headers["location"].split("?")[0]
        page = client.get(task_path)
        assert "Erin Engineer" in page.text
        commented = client.post(
            task_path + "/comments",
            data={"csrf": csrf_of(page.text), "as_person": "1001", "text": "Looking"},
        )
        # Alice takes no part in the task: the API's access rule refuses her comment.
        assert commented.status_code == 403 and "was not added" in commented.text
        commented = client.post(
            task_path + "/comments",
            data={"csrf": csrf_of(page.text), "as_person": "1003", "text": "Still jammed"},
        )
        assert commented.status_code == 303
        assert "Still jammed" in client.get(task_path).text


def test_workspace_pages_never_show_secrets(ui_server: Start) -> None:
    server = ui_server()
    with server.client() as client:
        people = client.get("/ui/people").text
        assert "alice@demo.test" in people and "alice-demo-key" not in people
        assert "manage_integrations_and_catalogs" in people
        bots = client.get("/ui/bots").text
        assert "bot@64b5857117b7ca67e35e" in bots and "demo-secret" not in bots
        form = client.get("/ui/forms/321").text
        assert "u_amount" in form and "Automatic check" in form and "Purchase check" in form
        catalogs = client.get("/ui/catalogs").text
        assert "Marketing" in catalogs
        roles = client.get("/ui/roles").text
        assert "Mark Manager" in roles
        assert client.get("/ui/forms/999").status_code == 404
        assert client.get("/ui/deliveries/999").status_code == 404
        missing = client.get("/ui/no/such/page")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


def test_people_without_the_right_do_not_see_bot_settings(ui_server: Start) -> None:
    server = ui_server(admin_token=ADMIN_TOKEN)
    with server.client() as erin:
        sign_in(erin, login="erin@demo.test", password="erin-demo-password")
        page = erin.get("/ui/bots/2001")
        assert page.status_code == 200 and "Purchase check" in page.text
        assert "approved_choice" not in page.text and "Reset security key" not in page.text
    with server.client() as alice:
        sign_in(alice, login="alice@demo.test", password="alice-demo-password")
        assert "approved_choice" in alice.get("/ui/bots/2001").text


async def _fill_up_bots(db_url: str, count: int) -> None:
    database = Database(db_url)
    try:
        async with database.session() as session, session.begin():
            for index in range(count):
                await bot_store.create_bot(session, None, f"Filler {index}")
    finally:
        await database.dispose()


def test_an_organisation_holds_at_most_100_bots(ui_server: Start) -> None:
    server = ui_server()
    asyncio.run(_fill_up_bots(server.settings.db, bot_store.MAX_BOTS_PER_ORGANIZATION - 3))
    with server.client() as client:
        page = client.get("/ui/bots")
        assert "100 of 100 bots" in page.text
        assert "has reached the limit of 100 bots" in page.text
        csrf = csrf_of(client.get("/ui/bots/2001").text)  # the create form is gone
        refused = client.post("/ui/bots", data={"csrf": csrf, "name": "One more"})
        assert refused.status_code == 400 and "at most 100 bots" in refused.text


@pytest.mark.postgres
def test_bots_and_delivery_log_on_postgresql(postgres_url: str, ui_server: Start) -> None:
    # Nothing listens on the demo bots' ports: every attempt fails fast (connection refused).
    server = ui_server(db_url=postgres_url, retry_schedule=(0.0, 0.2, 0.4))
    with server.client() as client:
        form_page = client.get("/ui/tasks/new?form=321")
        created = client.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(form_page.text),
                "form": "321",
                "as_person": "1003",
                "f1": "Desk",
                "f2": "420",
            },
        )
        assert created.status_code == 303
        deadline = time.monotonic() + 20
        while PAUSED_BADGE not in (log := client.get("/ui/bots/2001/deliveries").text):
            assert time.monotonic() < deadline, log
            time.sleep(0.2)
        bots = client.get("/ui/bots").text
        row = bots[bots.index("Purchase check") : bots.index("Slow triage")]
        assert "3 / 500" in row and "never" in row, row
        delivery_id = re.search(r'/ui/deliveries/(\d+)"', log).group(1)  # type: ignore[union-attr]
        page = client.get(f"/ui/deliveries/{delivery_id}").text
        assert page.count('data-testid="attempt"') == 3
        assert "connection" in page and "X-Pyrus-Retry 3/3" in page


def _wait_for_text(client: httpx.Client, path: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in (page := client.get(path).text):
        assert time.monotonic() < deadline, f"{text!r} never appeared on {path}"
        time.sleep(0.2)
    return page


def test_pausing_a_bot_holds_its_calls_until_resumed(ui_server: Start) -> None:
    server = ui_server(retry_schedule=(0.0, 0.2, 0.4))
    log_path = "/ui/bots/2001/deliveries"
    with server.client() as client:
        paused = post_form(client, log_path, "/ui/bots/2001/pause")
        assert paused.status_code == 303
        page = client.get(paused.headers["location"])
        assert "deliveries paused" in page.text and "Resume deliveries" in page.text
        form_page = client.get("/ui/tasks/new?form=321")
        created = client.post(
            "/ui/tasks/new",
            data={"csrf": csrf_of(form_page.text), "form": "321", "as_person": "1003", "f2": "10"},
        )
        assert created.status_code == 303
        waiting = _wait_for_text(client, log_path, '<span class="badge plain">pending</span>')
        time.sleep(1.0)  # longer than the whole retry schedule: still no attempt
        assert '<span class="badge plain">pending</span>' in client.get(log_path).text
        assert "<td>0</td>" in waiting
        resumed = post_form(client, log_path, "/ui/bots/2001/resume")
        assert resumed.status_code == 303
        # Nothing listens on the hook: three refused attempts, then the pair is paused.
        _wait_for_text(client, log_path, PAUSED_BADGE)
        assert "<td>3</td>" in client.get(log_path).text
