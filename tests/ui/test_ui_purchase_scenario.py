"""A purchase request from filing to the register, in a real browser, through the UI only, on
SQLite and PostgreSQL: the platform with the demo workspace and the demo purchase-check bot (the
SDK bot of ``pyrus_bots.server.demo.bots``) each served by uvicorn on loopback.

Erin files a request with a table of items and the vendor's quote; the bot rejects it (over the
limit); Erin lowers the amount and the bot passes it on; Mark sets the date it is needed by and
approves; Erin puts the invoice in and closes the task; the register finds it by its amount and
its CSV holds it. After each step the task is read with the official ``pyrus-api`` client through
``GET /v4/tasks/{id}``.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import uvicorn
import yaml
from browser_kit import BROWSER_MARKS, WAIT_MS, chromium
from pyrus.client import PyrusAPI
from ui_helpers import DEMO_WORKSPACE, LiveServer, free_port

from pyrus_bots.server.demo.bots import build_purchase_check

pytestmark = [*BROWSER_MARKS, pytest.mark.timeout(300)]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

Start = Callable[..., LiveServer]
Page = Any
BOT_ID = 2001
QUOTE = b"%PDF-1.4\n% Quote 2291: two standing desks\n" + b"q" * 2000
INVOICE = b"%PDF-1.4\n% Invoice 7781\n" + b"i" * 1500


@pytest.fixture
def platform(ui_server: Start, db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The demo workspace served on ``db_url``, its purchase-check bot listening on loopback."""
    bot_port = free_port()
    data = yaml.safe_load(DEMO_WORKSPACE.read_text())
    bot = next(b for b in data["bots"] if b["id"] == BOT_ID)
    bot["hook_url"] = f"http://127.0.0.1:{bot_port}/"
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(yaml.safe_dump(data, sort_keys=False))
    # Playwright's sync API runs an event loop in the test's thread: start servers from another.
    with ThreadPoolExecutor(1) as pool:
        server = pool.submit(
            ui_server, workspace=workspace, db_url=db_url, admin_token="scenario-admin-token"
        ).result()
    app = build_purchase_check(bot["security_key"], server.base_url + "/v4/").asgi()
    bot_server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=bot_port, log_level="warning")
    )
    thread = threading.Thread(target=bot_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not bot_server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the bot did not start"
        time.sleep(0.02)
    yield server
    bot_server.should_exit = True
    thread.join(10)


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        yield context.new_page()
        context.close()


def pyrus_client(server: LiveServer, login: str, key: str) -> PyrusAPI:
    """The official client, pointed at this server."""
    api = PyrusAPI(login=login, security_key=key)
    host = urlparse(server.base_url).netloc
    api._protocol = "http"
    api._host = host
    api._files_host = host
    return api


def api_task(api: PyrusAPI, task_id: int) -> Any:
    answer = api.get_task(task_id)
    assert getattr(answer, "error_code", None) is None, answer.error
    return answer.task


def value(task: Any, field_id: int) -> Any:
    return next(f.value for f in task.fields if f.id == field_id)


def sign_in_as(page: Page, server: LiveServer, who: str) -> None:
    page.context.clear_cookies()
    page.goto(server.ui + "/login")
    page.get_by_label("E-mail").fill(f"{who}@demo.test")
    page.get_by_label("Password").fill(f"{who}-demo-password")
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def add_comment(page: Page) -> None:
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status")).to_contain_text("Comment added")


def file_named(name: str, content: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def test_purchase_request_from_filing_to_the_register(page: Page, platform: LiveServer) -> None:
    erin_api = pyrus_client(platform, "erin@demo.test", "erin-demo-key")

    # 1. Erin files the request: items in the table, the quote in its file field.
    sign_in_as(page, platform, "erin")
    page.goto(platform.ui + "/tasks/new?form=321")
    page.get_by_label("Item", exact=True).fill("Standing desks")
    page.get_by_label("Amount").fill("3000")
    page.get_by_label("Cost center").select_option(label="CC3 · Engineering")
    for row, (article, quantity, price) in enumerate(
        [("Desk frame", "2", "1200"), ("Desk top", "2", "300")], start=1
    ):
        page.get_by_label(f"Article, row {row}").fill(article)
        page.get_by_label(f"Quantity, row {row}").fill(quantity)
        page.get_by_label(f"Price, row {row}").fill(price)
    page.get_by_label("Quote").set_input_files(file_named("quote-2291.pdf", QUOTE))
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("status")).to_contain_text("Task created")
    task_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    task = api_task(erin_api, task_id)
    assert value(task, 2) == 3000
    rows = [[c.value for c in r.cells] for r in value(task, 6)]
    assert rows == [["Desk frame", 2, 1200], ["Desk top", 2, 300]]
    assert [f.name for f in value(task, 10)] == ["quote-2291.pdf"]
    quote = value(task, 10)[0]
    assert erin_api.download_file(quote.id).raw_file == QUOTE

    # 2. The bot checks it and returns it: over the limit.
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("is over the limit of 1,000.00")
    expect(page.get_by_test_id("task-step")).to_contain_text("1. Automatic check")
    task = api_task(erin_api, task_id)
    assert task.current_step == 1 and value(task, 3).choice_ids == [3]
    assert task.comments[-1].approval_choice == "rejected"
    # The quote is linked on the page and previews inline.
    files = page.get_by_test_id("files").last
    expect(files.get_by_role("link", name="quote-2291.pdf")).to_be_visible()
    expect(page.locator("iframe.file-preview")).to_have_count(1)

    # 3. Erin lowers the amount and sends it again: the bot passes it to the manager.
    page.get_by_text("Change fields").click()
    page.get_by_label("Amount").fill("900")
    page.get_by_label("Comment", exact=True).fill("One desk for now.")
    add_comment(page)
    expect(page.get_by_test_id("task-step")).to_contain_text("2. Manager", timeout=WAIT_MS)
    expect(timeline).to_contain_text("is within the limit")
    task = api_task(erin_api, task_id)
    assert value(task, 2) == 900 and task.current_step == 2
    assert value(task, 3).choice_ids == [2]
    assert [f.name for f in value(task, 10)] == ["quote-2291.pdf"]  # untouched by the edit

    # 4. Mark sets the date it is needed by and approves.
    sign_in_as(page, platform, "mark")
    page.goto(f"{platform.ui}/tasks/{task_id}")
    page.get_by_text("Change fields").click()
    page.get_by_label("Needed by").fill("2026-07-01")
    page.get_by_label("Approval", exact=True).select_option("approved")
    add_comment(page)
    expect(page.get_by_test_id("task-step")).to_contain_text("3. Receipt")
    task = api_task(pyrus_client(platform, "mark@demo.test", "mark-demo-key"), task_id)
    assert task.current_step == 3 and value(task, 5).date().isoformat() == "2026-07-01"
    assert [a.approval_choice for a in task.approvals[1]] == ["approved"]

    # 5. Erin puts the invoice in, attaches the delivery note and closes the task.
    sign_in_as(page, platform, "erin")
    page.goto(f"{platform.ui}/tasks/{task_id}")
    page.get_by_text("Change fields").click()
    page.get_by_label("Invoice").set_input_files(file_named("invoice-7781.pdf", INVOICE))
    page.get_by_label("Attach files").set_input_files(
        [
            {"name": "delivery-note.txt", "mimeType": "text/plain", "buffer": b"2 frames, 2 tops"},
            {"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\nxx"},
        ]
    )
    page.get_by_label("Close the task").check()
    add_comment(page)
    expect(page.get_by_test_id("task-state")).to_have_text("closed")
    task = api_task(erin_api, task_id)
    assert task.close_date is not None  # closed (the client reads no is_closed)
    invoice = value(task, 11)
    assert [f.name for f in invoice] == ["invoice-7781.pdf"]
    assert erin_api.download_file(invoice[0].id).raw_file == INVOICE
    assert sorted(a.name for a in task.comments[-1].attachments) == [
        "delivery-note.txt",
        "photo.png",
    ]
    # The UI serves the invoice to Erin from the page's link, the same bytes.
    link = page.get_by_test_id("files").last.get_by_role("link", name="invoice-7781.pdf")
    fetched = page.request.get(platform.base_url + str(link.get_attribute("href")))
    assert fetched.ok and fetched.body() == INVOICE

    # 6. The register finds it by its amount; its CSV holds it.
    page.goto(f"{platform.ui}/forms/321/register")
    page.get_by_label("State").select_option("all")
    page.get_by_label("Amount").fill("900")
    page.get_by_label("Amount").press("Enter")  # the filter form is sent as typed
    page.wait_for_url("**fld2=900**")
    found = page.get_by_test_id("register-row")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(f"#{task_id} Standing desks")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert len(rows) == 2, rows  # the header and this task: the filter applies
    assert str(task_id) in rows[1] and "Standing desks" in rows[1]
