"""End to end in a real browser: the demo stack (platform, SDK bots) as processes, driven
through the web UI with Playwright on Debian's Chromium. Screenshots go to docs/img/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_kit import BROWSER_MARKS, WAIT_MS, chromium, shot

from pyrus_bots.server.demo.runner import DemoOptions, DemoStack

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    options = DemoOptions(
        state_dir=tmp_path_factory.mktemp("demo"),
        retry_schedule=(0.0, 1.5, 3.0),
        bot_timeout=2.0,
        inline_budget=1.0,
        slow_work_seconds=2.0,
        sample_tasks=False,
        quiet=True,
    )
    with DemoStack(options) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: sync_api.Browser) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()


def new_purchase(page: sync_api.Page, stack: DemoStack, item: str, amount: str) -> None:
    page.goto(stack.ui_url + "tasks/new?form=321")
    page.get_by_label("Create as").select_option(label="Erin Engineer (erin@demo.test)")
    page.get_by_label("Item").fill(item)
    page.get_by_label("Amount").fill(amount)
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(item)


def test_purchase_requests_over_and_under_the_limit(page: sync_api.Page, stack: DemoStack) -> None:
    new_purchase(page, stack, "Trade fair booth", "4800")
    timeline = page.get_by_test_id("timeline")
    # The page follows the task live: the bot's answer appears without a reload.
    expect(timeline).to_contain_text("is over the limit of 1,000.00", timeout=WAIT_MS)
    expect(timeline).to_contain_text("returned the task to step 1 (Automatic check)")
    expect(page.get_by_test_id("task-step")).to_contain_text("1. Automatic check")
    expect(page.get_by_test_id("task-fields")).to_contain_text("Rejected")
    bot_comment = page.locator("li.by-bot")
    expect(bot_comment).to_have_count(1)
    expect(bot_comment.locator(".badge.bot")).to_have_text("bot")
    shot(page, "task-rejected")

    new_purchase(page, stack, "Laptop for the new hire", "850")
    expect(page.get_by_test_id("task-step")).to_contain_text("2. Manager", timeout=WAIT_MS)
    expect(timeline).to_contain_text("is within the limit")
    expect(page.get_by_test_id("task-fields")).to_contain_text("Approved")
    shot(page, "task-approved")

    # The manager approves as a person, then the requester confirms receipt: the task closes.
    for person, text in (
        ("Mark Manager (mark@demo.test)", "Go ahead."),
        ("Erin Engineer (erin@demo.test)", "Received."),
    ):
        page.get_by_label("Comment as").select_option(label=person)
        page.get_by_label("Comment", exact=True).fill(text)
        page.get_by_label("Approval", exact=True).select_option("approved")
        page.get_by_role("button", name="Add comment").click()
        expect(timeline).to_contain_text(text)
    expect(page.get_by_test_id("task-state")).to_have_text("closed")

    page.goto(stack.ui_url + "tasks?state=all")
    expect(page.get_by_test_id("task-row")).to_have_count(2)
    shot(page, "tasks")


def test_failing_bot_retries_pauses_and_resumes(page: sync_api.Page, stack: DemoStack) -> None:
    # Make the flaky bot fail four calls per task: a whole series of three, and one more.
    page.goto(stack.ui_url + "bots/2003")
    page.get_by_role("textbox", name="Settings").fill('{"failures": 4}')
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Bot settings saved.")
    shot(page, "bot")

    page.goto(stack.ui_url + "tasks/new?form=322")
    expect(page.get_by_label("Details")).to_be_visible()  # a multiline text field
    page.get_by_label("Summary").fill("VPN drops every hour")
    page.get_by_label("Priority").select_option(label="High")
    shot(page, "new-task")
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("VPN drops every hour")
    task_url = page.url.split("?")[0]
    # The slow bot answers after the inline budget: its reply comes through the API.
    expect(page.get_by_test_id("timeline")).to_contain_text("Triage done", timeout=WAIT_MS)
    expect(page.get_by_test_id("task-step")).to_contain_text("2. Notify on-call")

    page.goto(stack.ui_url + "bots/2003/deliveries")
    paused_row = page.get_by_test_id("delivery-row").filter(has_text="paused")
    expect(paused_row).to_have_count(1, timeout=WAIT_MS)
    paused_row.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    attempts = page.get_by_test_id("attempt")
    expect(attempts).to_have_count(3)
    for number in (1, 2, 3):
        expect(attempts.nth(number - 1)).to_contain_text(f"X-Pyrus-Retry {number}/3")
        expect(attempts.nth(number - 1)).to_contain_text("http_500")
    expect(page.get_by_test_id("delivery-status")).to_contain_text("paused")
    paused_delivery_url = page.url
    page.locator("details").first.evaluate("(d) => d.open = true")
    shot(page, "delivery")

    page.goto(stack.ui_url + "bots")
    flaky = page.get_by_role("row").filter(has_text="Flaky notifier").locator("td")
    expect(flaky.nth(3)).to_have_text("3 / 500")  # calls in the rate window
    expect(flaky.nth(4)).to_have_text("never")  # last success
    expect(flaky.nth(5)).to_have_text("3")  # failure streak
    expect(flaky.nth(6)).to_have_text("1")  # paused tasks
    shot(page, "bots")

    # A comment by a person starts a new series: one more failure, then success.
    page.goto(task_url)
    page.get_by_label("Comment as").select_option(label="Erin Engineer (erin@demo.test)")
    page.get_by_label("Comment", exact=True).fill("The pager is back, try again.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_test_id("task-step")).to_contain_text("3. Support", timeout=WAIT_MS)
    expect(page.get_by_test_id("timeline")).to_contain_text("it took 5 calls")

    page.goto(stack.ui_url + "bots/2003/deliveries")
    rows = page.get_by_test_id("delivery-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("succeeded")
    expect(rows.first.locator("td").nth(5)).to_have_text("2")
    shot(page, "deliveries")

    # Resend the paused delivery: a new series, answered at once (the task has moved on).
    page.goto(paused_delivery_url)
    page.get_by_role("button", name="Resend").click()
    expect(page.get_by_test_id("delivery-status")).to_contain_text("succeeded", timeout=WAIT_MS)
    expect(page.get_by_test_id("attempt")).to_have_count(4)
    expect(page.get_by_test_id("attempt").last).to_contain_text("Series 2, attempt 1")

    page.goto(stack.ui_url + "bots/2003/deliveries?outcome=paused")
    expect(page.get_by_text("No deliveries match these filters")).to_be_visible()


def test_pages_read_without_javascript(browser: sync_api.Browser, stack: DemoStack) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(stack.ui_url + "forms/321")
        expect(page.get_by_role("heading", level=1)).to_have_text("Purchase request")
        page.goto(stack.ui_url + "tasks?state=all&form=321")
        page.get_by_role("link", name=re.compile("Laptop")).click()
        expect(page.get_by_test_id("timeline")).to_contain_text("is within the limit")
        page.goto(stack.ui_url + "login")
        shot(page, "sign-in")
        page.get_by_label("E-mail").fill("bot@64b5857117b7ca67e35e")
        page.get_by_label("Password").fill("purchase-check-demo-secret")
        page.get_by_role("button", name="Sign in").first.click()
        expect(page.get_by_role("alert")).to_contain_text("a bot login only gets API tokens")
        page.get_by_label("E-mail").fill("mark@demo.test")
        page.get_by_label("Password").fill("mark-demo-password")
        page.get_by_role("button", name="Sign in").first.click()
        expect(page.get_by_text("Signed in as")).to_contain_text("Mark Manager")
        page.goto(stack.ui_url)
        expect(page.get_by_role("heading", level=2).first).to_have_text("Your inbox")
    finally:
        context.close()
