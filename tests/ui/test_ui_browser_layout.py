"""Every UI page fits a phone's screen (375 px) in Chromium: nothing wider than the viewport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from browser_kit import BROWSER_MARKS, chromium, shot
from ui_helpers import UI_PAGES, LiveServer, demo_task_path

pytestmark = BROWSER_MARKS
Start = Callable[..., LiveServer]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_pages_fit_a_phone_screen(browser: Any, ui_server: Start) -> None:
    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        server = pool.submit(ui_server).result()
        task = pool.submit(demo_task_path, server).result()
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        for path in (*UI_PAGES, task):
            page.goto(server.base_url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
        page.goto(server.base_url + task)
        shot(page, "task-phone")
    finally:
        context.close()
