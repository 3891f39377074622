"""Catalogs created and edited in the UI over real HTTP, read back through ``GET /v4/catalogs``
(the store's sync that the API uses: items keep their ids by first column)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from ui_helpers import LiveServer, csrf_of, sign_in

from pyrus_bots.server.admin.ui_catalog_edit import contents_text, parse_contents

Start = Callable[..., LiveServer]


def _catalog(server: LiveServer, catalog_id: int) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        auth = api.post(
            "/v4/auth", json={"login": "erin@demo.test", "security_key": "erin-demo-key"}
        )
        headers = {"Authorization": f"Bearer {auth.json()['access_token']}"}
        answer = api.get(f"/v4/catalogs/{catalog_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        catalog: dict[str, Any] = answer.json()
        return catalog


def _items(catalog: dict[str, Any]) -> dict[str, tuple[int, list[str]]]:
    return {i["values"][0]: (i["item_id"], i["values"]) for i in catalog["items"]}


def test_contents_read_commas_semicolons_and_tabs() -> None:
    assert parse_contents("Code;Name\nCC1;Ads\n\nCC2;Sales") == (
        ["Code", "Name"],
        [["CC1", "Ads"], ["CC2", "Sales"]],
    )
    assert parse_contents("Code\tName\nCC1\tAds, online") == (
        ["Code", "Name"],
        [["CC1", "Ads, online"]],
    )
    text = contents_text(["Code", "Name"], [["CC1", 'Ads, "online"']])
    assert parse_contents(text) == (["Code", "Name"], [["CC1", 'Ads, "online"']])


def test_catalogs_are_created_and_edited_in_the_ui(ui_server: Start) -> None:
    server = ui_server()
    with server.client() as ui:  # the loopback administrator
        page = ui.get("/ui/catalogs/4001/edit")
        assert page.status_code == 200 and "CC1,Marketing" in page.text
        before = _items(_catalog(server, 4001))
        saved = ui.post(
            "/ui/catalogs/4001/edit",
            data={
                "csrf": csrf_of(page.text),
                "contents": "Code,Name\nCC1,Marketing and ads\nCC3,Engineering\nCC4,Legal\n",
            },
        )
        assert saved.status_code == 303, saved.text
        after = _items(_catalog(server, 4001))
        assert set(after) == {"CC1", "CC3", "CC4"}  # CC2 deleted, CC4 added
        assert after["CC1"] == (before["CC1"][0], ["CC1", "Marketing and ads"])  # same id
        assert after["CC3"][0] == before["CC3"][0]

        refused = ui.post(
            "/ui/catalogs/4001/edit",
            data={"csrf": csrf_of(page.text), "contents": "Code,Code\nA,B\n"},
        )
        assert refused.status_code == 400 and "catalog_duplicate_headers" in refused.text
        assert "Code,Code" in refused.text  # what was typed is kept
        assert set(_items(_catalog(server, 4001))) == {"CC1", "CC3", "CC4"}

        page = ui.get("/ui/catalogs/new")
        created = ui.post(
            "/ui/catalogs/new",
            data={
                "csrf": csrf_of(page.text),
                "name": "Suppliers",
                "contents": "Name\tCountry\nAcme\tDE\nGlobex\tUS\n",
            },
        )
        assert created.status_code == 303, created.text
        listing = ui.get("/ui/catalogs").text
        assert "Suppliers" in listing and "Globex" in listing
        assert ui.get("/ui/catalogs/999999/edit").status_code == 404


@pytest.mark.postgres
def test_catalog_edits_on_postgresql(postgres_url: str, ui_server: Start) -> None:
    server = ui_server(db_url=postgres_url)
    with server.client() as ui:
        page = ui.get("/ui/catalogs/4001/edit")
        saved = ui.post(
            "/ui/catalogs/4001/edit",
            data={"csrf": csrf_of(page.text), "contents": "Code;Name\nCC9;Nine\n"},
        )
        assert saved.status_code == 303, saved.text
    assert set(_items(_catalog(server, 4001))) == {"CC9"}


def test_only_people_with_the_right_change_catalogs(ui_server: Start) -> None:
    server = ui_server(admin_token="catalog-test-token")
    with server.client() as erin:
        sign_in(erin, login="erin@demo.test", password="erin-demo-password")
        assert "New catalog" not in erin.get("/ui/catalogs").text
        assert erin.get("/ui/catalogs/4001/edit").status_code == 403
        page = erin.get("/ui/tasks")
        refused = erin.post(
            "/ui/catalogs/4001/edit",
            data={"csrf": csrf_of(page.text), "contents": "Code,Name\nX,Y\n"},
        )
        assert refused.status_code == 403
    assert "CC1" in _items(_catalog(server, 4001))
