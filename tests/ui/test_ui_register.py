"""The UI's form register over real HTTP, on SQLite and PostgreSQL: the API register's filters,
sorting by any column, pages and the CSV export of what is filtered."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from ui_helpers import LiveServer

from pyrus_bots.server.admin import ui_register

Start = Callable[..., LiveServer]
ROW_RE = re.compile(r'data-testid="register-row">\s*<td><a href="/ui/tasks/(\d+)"')
TICKETS = [("Printer jam", 3), ("Broken chair", 1), ("VPN down", 3), ("New mouse", 2)]


def _create_tickets(server: LiveServer) -> list[int]:
    """Support tickets created through the API as Erin (summary, priority choice id)."""
    with server.client() as api:
        auth = api.post(
            "/v4/auth", json={"login": "erin@demo.test", "security_key": "erin-demo-key"}
        )
        assert auth.status_code == 200, auth.text
        headers = {"Authorization": f"Bearer {auth.json()['access_token']}"}
        ids = []
        for summary, priority in TICKETS:
            body: dict[str, Any] = {
                "form_id": 322,
                "fields": [
                    {"id": 1, "value": summary},
                    {"id": 3, "value": {"choice_id": priority}},
                ],
            }
            created = api.post("/v4/tasks", json=body, headers=headers)
            assert created.status_code == 200, created.text
            ids.append(created.json()["task"]["id"])
        return ids


def _row_ids(page: httpx.Response) -> list[int]:
    assert page.status_code == 200, page.text
    return [int(i) for i in ROW_RE.findall(page.text)]


def _check_register(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    printer, chair, vpn, mouse = _create_tickets(server)
    with server.client() as ui:  # loopback without a token: the administrator sees every task
        assert _row_ids(ui.get("/ui/forms/322/register")) == [mouse, vpn, chair, printer]
        # The API register's grammar: a choice by id, a text prefix, the task text.
        assert _row_ids(ui.get("/ui/forms/322/register?fld3=3")) == [vpn, printer]
        assert _row_ids(ui.get("/ui/forms/322/register?fld1=vpn")) == [vpn]
        assert _row_ids(ui.get("/ui/forms/322/register?fld3=1,2&sort=id")) == [chair, mouse]
        assert _row_ids(ui.get("/ui/forms/322/register?text=chair")) == [chair]
        assert _row_ids(ui.get("/ui/forms/322/register?step=2")) == []
        assert _row_ids(ui.get("/ui/forms/322/register?state=closed")) == []
        # Sorted by a field column, both ways; an unknown sort key falls back to the newest first.
        by_summary = _row_ids(ui.get("/ui/forms/322/register?sort=fld1"))
        assert by_summary == [chair, mouse, printer, vpn]
        assert _row_ids(ui.get("/ui/forms/322/register?sort=-fld1")) == by_summary[::-1]
        assert _row_ids(ui.get("/ui/forms/322/register?sort=nope")) == [mouse, vpn, chair, printer]
        # A filter the register refuses is said on the page, with a 400.
        refused = ui.get("/ui/forms/322/register?created_after=yesterday")
        assert refused.status_code == 400 and 'role="alert"' in refused.text
        assert not ROW_RE.findall(refused.text)
        # Pages: two tasks a page, the filters and the order kept across pages.
        monkeypatch.setattr(ui_register, "PAGE_SIZE", 2)
        first = ui.get("/ui/forms/322/register?sort=fld1")
        assert _row_ids(first) == [chair, mouse] and "page 1 of 2" in first.text
        assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
        second = ui.get("/ui/forms/322/register?sort=fld1&page=2")
        assert _row_ids(second) == [printer, vpn] and 'rel="prev"' in second.text
        assert _row_ids(ui.get("/ui/forms/322/register?sort=fld1&page=99")) == [printer, vpn]
        # The CSV holds what the filters select.
        exported = ui.get("/ui/forms/322/register.csv?fld3=3")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.text)))
        assert sorted(int(r[0]) for r in rows[1:]) == [printer, vpn]
        assert {r[rows[0].index("Summary")] for r in rows[1:]} == {"Printer jam", "VPN down"}
        assert ui.get("/ui/forms/9999/register").status_code == 404
        assert ui.get("/ui/forms/322/register.csv?created_after=yesterday").status_code == 400


def test_register_filters_sorts_pages_and_exports_on_sqlite(
    ui_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_register(ui_server(), monkeypatch)


@pytest.mark.postgres
def test_register_filters_sorts_pages_and_exports_on_postgresql(
    postgres_url: str, ui_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_register(ui_server(db_url=postgres_url), monkeypatch)
