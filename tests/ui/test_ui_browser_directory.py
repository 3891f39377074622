"""People, roles, the inbox and lists in Chromium: a person and a role made and changed through
the pages (by keyboard where a person would), read back through ``GET /v4/members`` and
``GET /v4/roles``; the inbox and a list show the API's tasks. Screenshots go to docs/img/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from browser_kit import BROWSER_MARKS, WAIT_MS, chromium, shot
from directory_kit import api_call, api_get, api_headers, inbox_workspace, members, roles
from ui_helpers import LiveServer

pytestmark = BROWSER_MARKS
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
Start = Callable[..., LiveServer]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _signed_in(browser: Any, server: LiveServer, login: str, password: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(server.ui + "/login")
    page.get_by_label("E-mail").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    return context, page


def _nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def test_a_person_and_a_role_made_in_the_browser_are_the_apis(
    browser: Any, ui_server: Start, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        server = pool.submit(ui_server, workspace=inbox_workspace(tmp_path)).result()
    alice = api_headers(server, "alice@demo.test", "alice-demo-key")
    context, page = _signed_in(browser, server, "alice@demo.test", "alice-demo-password")
    try:
        _nav(page, "People")
        page.get_by_role("link", name="Add a person").click()
        page.get_by_label("First name").fill("Paula")
        page.get_by_label("Last name").fill("Parker")
        page.get_by_label("E-mail").fill("paula@demo.test")
        page.get_by_label("Position").fill("Buyer")
        page.get_by_label("Department id").fill("7")
        page.get_by_label("Phone").fill("+1 555 0100")
        page.get_by_label("manage roles").check()
        page.get_by_role("button", name="Add the person").click()
        expect(page.get_by_role("status")).to_have_text("Person added.")
        paula_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

        # A refusal keeps what was typed and says so at the input; Enter submits the form.
        page.get_by_label("E-mail").fill("mark@demo.test")
        page.get_by_label("Position").fill("Lead buyer")
        page.get_by_label("Position").press("Enter")
        expect(page.locator("#p-email-hint")).to_contain_text("non_unique_email")
        expect(page.get_by_label("Position")).to_have_value("Lead buyer")
        page.get_by_label("E-mail").fill("paula.parker@demo.test")
        page.get_by_label("Position").press("Enter")
        expect(page.get_by_role("status")).to_have_text("Person saved.")
        shot(page, "person")
        paula = members(server, alice)[paula_id]
        assert (paula["email"], paula["position"]) == ("paula.parker@demo.test", "Lead buyer")
        assert paula["department_id"] == 7 and paula["rights"] == 0x1

        _nav(page, "Roles")
        page.get_by_role("link", name="Create a role").click()
        page.get_by_label("Name").fill("Buyers")
        page.get_by_label("Members").select_option(label=["Mark Manager", "Paula Parker"])
        page.get_by_role("button", name="Create the role").click()
        expect(page.get_by_role("status")).to_have_text("Role created.")
        role_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
        # On a loaded machine the click below can land while the new page is still settling.
        page.wait_for_load_state("load")
        page.get_by_label("Name").fill("Purchasing")
        page.get_by_label("Remove Mark Manager").check()
        page.get_by_label("Add members").select_option(label="Erin Engineer")
        page.get_by_role("button", name="Save the role").click()
        expect(page.get_by_role("status")).to_have_text("Role saved.")
        shot(page, "role")
        role = roles(server, alice)[role_id]
        assert role["name"] == "Purchasing" and set(role["member_ids"]) == {1003, paula_id}
        _nav(page, "Roles")
        expect(page.get_by_role("row", name="Purchasing")).to_contain_text("Paula Parker")
        _nav(page, "People")
        shot(page, "people")
    finally:
        context.close()


def test_the_inbox_and_a_list_in_the_browser(
    browser: Any, ui_server: Start, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(1) as pool:
        server = pool.submit(ui_server, workspace=inbox_workspace(tmp_path)).result()
    erin = api_headers(server, "erin@demo.test", "erin-demo-key")
    mark = api_headers(server, "mark@demo.test", "mark-demo-key")
    titles = ["Call the supplier about the late desk", "Renew the office lease"]
    for text in titles:
        api_call(server, "POST", "/v4/tasks", erin, {"text": text, "responsible": {"id": 1002}})
    for days in ("3 days in March", "A week in August"):
        leave = {"form_id": 323, "fields": [{"id": 1, "value": days}]}
        api_call(server, "POST", "/v4/tasks", erin, leave)
    waiting = {t["id"] for t in api_get(server, "/v4/inbox", mark)["tasks"]}
    assert len(waiting) == 4
    context, page = _signed_in(browser, server, "mark@demo.test", "mark-demo-password")
    try:
        page.keyboard.press("Tab")  # the skip link comes first, then the main navigation
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        _nav(page, "Inbox")
        rows = page.get_by_test_id("task-row")
        expect(rows).to_have_count(4)
        for text in titles:
            expect(page.get_by_role("link", name=text)).to_be_visible()
        expect(page.get_by_role("heading", name="Leave request")).to_be_visible()
        shot(page, "inbox")

        _nav(page, "Lists")
        page.get_by_label("Name").fill("Facilities")
        page.get_by_role("button", name="Create the list").click()
        expect(page.get_by_role("status")).to_have_text("List created.")
        for task_id in sorted(waiting)[:2]:
            page.get_by_label("Task number").fill(str(task_id))
            page.get_by_label("Task number").press("Enter")
            expect(page.get_by_role("status")).to_have_text("Task added to the list.")
        expect(rows).to_have_count(2)
        shot(page, "list")
        page.set_viewport_size({"width": 375, "height": 740})  # a phone: nothing overflows
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1
        page.set_viewport_size({"width": 1280, "height": 900})
        list_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
        in_api = api_get(server, f"/v4/lists/{list_id}/tasks", mark)["tasks"]
        assert {t["id"] for t in in_api} == set(sorted(waiting)[:2])
        _nav(page, "Lists")
        page.get_by_label("Name").fill("Lease")
        page.get_by_label("Inside the list").select_option(label="Facilities")
        page.get_by_role("button", name="Create the list").click()
        _nav(page, "Lists")
        expect(page.locator("ul.tree ul.tree")).to_contain_text("Lease")
        shot(page, "lists")
    finally:
        context.close()
