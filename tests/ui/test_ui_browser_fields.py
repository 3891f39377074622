"""Each field type created and then edited through the UI in a real browser, the result read back
through ``GET /v4/tasks/{id}`` (what a bot or an integration would read)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_kit import BROWSER_MARKS, WAIT_MS, chromium, shot
from ui_helpers import LiveServer

pytestmark = BROWSER_MARKS
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

Start = Callable[..., LiveServer]
Page = Any
WORKSPACE = """
organization: {id: 1, name: Field Co}
people:
  - {id: 1001, email: ann@field.test, first_name: Ann, last_name: Author, security_key: ann-key}
  - {id: 1002, email: max@field.test, first_name: Max, last_name: Manager, security_key: max-key}
catalogs:
  - {id: 40, name: Cost centers, headers: [Code, Name], items: [[CC1, Ads], [CC2, Sales]]}
forms:
  - id: 600
    name: Every field
    fields:
      - {id: 1, name: A text, type: text}
      - {id: 2, name: A sum, type: money}
      - {id: 3, name: A number, type: number}
      - {id: 4, name: A date, type: date}
      - {id: 5, name: A time, type: time}
      - {id: 6, name: A checkmark, type: checkmark}
      - {id: 7, name: A flag, type: flag}
      - {id: 8, name: Choices, type: multiple_choice, multiple_choice: true,
         options: [{id: 1, value: Red}, {id: 2, value: Green}, {id: 3, value: Blue}]}
      - {id: 9, name: A due date, type: due_date}
      - {id: 10, name: A due time, type: due_date_time}
      - {id: 11, name: An e-mail, type: email}
      - {id: 12, name: A phone, type: phone}
      - {id: 13, name: A cost center, type: catalog, catalog_id: 40}
      - {id: 14, name: A person, type: person}
      - id: 15
        name: A section
        type: title
        fields:
          - {id: 16, name: Inside the section, type: text}
      - id: 17
        name: Lines
        type: table
        columns:
          - {id: 18, name: Article, type: text}
          - {id: 19, name: Quantity, type: number}
      - {id: 20, name: A link, type: form_link}
    steps:
      - {name: Review, approvers: [1002]}
"""


@dataclass(frozen=True)
class Case:
    """How to fill one field in a form, and what the API then shows."""

    field_id: int
    label: str
    created: Any
    edited: Any
    fill: Callable[[Page, str, Any], None]


def _type(page: Page, label: str, value: Any) -> None:
    page.get_by_label(label, exact=True).fill(str(value))


def _select(page: Page, label: str, value: Any) -> None:
    page.get_by_label(label, exact=True).select_option(value)


def _tick(page: Page, label: str, value: Any) -> None:
    page.get_by_label(label, exact=True).set_checked(value == "checked")


def _rows(page: Page, rows: list[tuple[str, int]]) -> None:
    for number, (article, quantity) in enumerate(rows, start=1):
        page.get_by_label(f"Article, row {number}", exact=True).fill(article)
        page.get_by_label(f"Quantity, row {number}", exact=True).fill(str(quantity))


CASES = [
    Case(1, "A text", "alpha", "beta", _type),
    Case(2, "A sum", 12.5, 13, _type),
    Case(3, "A number", 7, 8, _type),
    Case(4, "A date", "2026-05-01", "2026-05-02", _type),
    Case(5, "A time", "09:30", "10:45", _type),
    Case(6, "A checkmark", "checked", "unchecked", _tick),
    Case(7, "A flag", "checked", "unchecked", _select),
    Case(8, "Choices", ["1", "2"], ["3"], _select),
    Case(9, "A due date", "2026-05-01", "2026-06-01", _type),
    Case(10, "A due time", "2026-05-01T09:30", "2026-05-02T11:15", _type),
    Case(11, "An e-mail", "a@field.test", "b@field.test", _type),
    Case(12, "A phone", "+1 555 0100", "+1 555 0199", _type),
    Case(13, "A cost center", "1", "2", _select),
    Case(14, "A person", "1001", "1002", _select),
    Case(16, "Inside the section", "in", "still in", _type),
]


def _expected(case: Case, raw: Any) -> Any:
    """What the API shows for what was typed."""
    if case.field_id == 8:
        return {"choice_ids": [int(r) for r in raw]}
    if case.field_id == 10:
        return raw + ":00Z"
    if case.field_id == 13:
        return [int(raw)]
    if case.field_id == 14:
        return int(raw)
    return raw


def _shown(case: Case, value: Any) -> Any:
    if case.field_id == 8:
        return {"choice_ids": value["choice_ids"]}
    if case.field_id == 13:
        return value["item_ids"]
    if case.field_id == 14:
        return value["id"]
    return value


def _api_task(server: LiveServer, task_id: int) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        auth = api.post("/v4/auth", json={"login": "max@field.test", "security_key": "max-key"})
        headers = {"Authorization": f"Bearer {auth.json()['access_token']}"}
        task: dict[str, Any] = api.get(f"/v4/tasks/{task_id}", headers=headers).json()["task"]
        return task


def _value(task: dict[str, Any], field_id: int) -> Any:
    for field in task.get("fields") or []:
        if field["id"] == field_id:
            return field.get("value")
        if field["type"] == "title":
            for child in (field.get("value") or {}).get("fields") or []:
                if child["id"] == field_id:
                    return child.get("value")
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(ui_server: Start, tmp_path: Path) -> LiveServer:
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(WORKSPACE)
    # Playwright's sync API runs an event loop in this thread: start the server from another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ui_server, workspace=workspace).result()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def _create(page: Page, server: LiveServer) -> int:
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("status")).to_contain_text("Task created")
    return int(page.url.split("?")[0].rsplit("/", 1)[1])


def _save_comment(page: Page) -> None:
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status")).to_contain_text("Comment added")


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_each_field_type_is_created_and_edited(page: Page, server: LiveServer, case: Case) -> None:
    page.goto(server.ui + "/tasks/new?form=600")
    page.get_by_label("Create as").select_option(label="Ann Author (ann@field.test)")
    case.fill(page, case.label, case.created)
    task_id = _create(page, server)
    assert _shown(case, _value(_api_task(server, task_id), case.field_id)) == _expected(
        case, case.created
    )
    page.get_by_label("Comment as").select_option(label="Max Manager (max@field.test)")
    page.get_by_text("Change fields").click()
    case.fill(page, case.label, case.edited)
    _save_comment(page)
    assert _shown(case, _value(_api_task(server, task_id), case.field_id)) == _expected(
        case, case.edited
    )


def test_a_table_and_a_form_link_are_created_and_edited(page: Page, server: LiveServer) -> None:
    page.goto(server.ui + "/tasks/new?form=600")
    page.get_by_label("Create as").select_option(label="Ann Author (ann@field.test)")
    page.get_by_label("A text", exact=True).fill("the linked one")
    linked = _create(page, server)

    page.goto(server.ui + "/tasks/new?form=600")
    page.get_by_label("Create as").select_option(label="Ann Author (ann@field.test)")
    _rows(page, [("Chair", 4), ("Desk", 1)])
    page.get_by_label("A link", exact=True).fill(str(linked))
    shot(page, "task-new-table")
    task_id = _create(page, server)
    task = _api_task(server, task_id)
    rows = _value(task, 17)
    assert [[c.get("value") for c in r["cells"]] for r in rows] == [["Chair", 4], ["Desk", 1]]
    assert _value(task, 20)["task_ids"] == [linked]
    expect(page.get_by_test_id("table-value")).to_contain_text("Chair")

    page.get_by_label("Comment as").select_option(label="Max Manager (max@field.test)")
    page.get_by_text("Change fields").click()
    page.get_by_label("Quantity, row 1", exact=True).fill("6")
    page.get_by_label("remove row 2", exact=True).check()
    page.get_by_label("Article, row 3", exact=True).fill("Lamp")
    page.get_by_label("A link", exact=True).fill("")
    shot(page, "task-edit-fields")
    _save_comment(page)
    task = _api_task(server, task_id)
    assert [[c.get("value") for c in r["cells"]] for r in _value(task, 17)] == [
        ["Chair", 6],
        ["Lamp", None],
    ]
    assert _value(task, 20) is None


def test_date_times_are_typed_and_shown_in_the_browsers_zone(
    browser: Any, server: LiveServer
) -> None:
    context = browser.new_context(timezone_id="America/New_York")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(server.ui + "/tasks/new?form=600")  # ui.js tells the server the zone
        page.reload()
        expect(page.locator("header")).to_contain_text("America/New_York")
        page.get_by_label("Create as").select_option(label="Ann Author (ann@field.test)")
        page.get_by_label("A due time", exact=True).fill("2026-05-01T09:30")
        task_id = _create(page, server)
        assert _value(_api_task(server, task_id), 10) == "2026-05-01T13:30:00Z"  # EDT is UTC-4
        expect(page.get_by_test_id("task-fields")).to_contain_text("2026-05-01 09:30:00 EDT")
        page.get_by_text("Change fields").click()
        expect(page.get_by_label("A due time", exact=True)).to_have_value("2026-05-01T09:30")
    finally:
        context.close()
