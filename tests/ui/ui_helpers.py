"""Helpers of the UI tests: the platform served by uvicorn on loopback, with the demo workspace.

The ``ui_server`` fixture (conftest.py) prepares a migrated SQLite database with the demo
workspace, serves ``create_app`` in a thread on a free port and returns a :class:`LiveServer`.
``sign_in`` and ``post_form`` drive forms the way a browser does (CSRF token read from the page).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

DEMO_WORKSPACE = (
    Path(__file__).parents[2] / "src" / "pyrus_bots" / "server" / "demo" / "workspace.yaml"
)
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare_database(url: str, workspace: Path) -> None:
    database = Database(url)
    try:
        await database.migrate()
        async with database.session() as session, session.begin():
            await apply_workspace(session, load_workspace_file(workspace))
    finally:
        await database.dispose()


@dataclass
class LiveServer:
    base_url: str
    settings: Settings
    app: Any = None
    """The served application (tests may tune ``app.state.api.limits``)."""

    @property
    def ui(self) -> str:
        return self.base_url + "/ui"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10.0, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, **form: str) -> httpx.Response:
    """Open the sign-in page, then submit it with ``form`` (login + password, or
    admin_token)."""
    page = client.get("/ui/login")
    assert page.status_code == 200
    return client.post("/ui/login", data={"csrf": csrf_of(page.text), **form})


def post_form(client: httpx.Client, page_path: str, action: str, **form: str) -> httpx.Response:
    """Submit a form of ``page_path`` the way a browser does (the page's CSRF token included)."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    return client.post(action, data={"csrf": csrf_of(page.text), **form})


UI_PAGES = (
    "/ui/",
    "/ui/tasks",
    "/ui/tasks/new?form=321",
    "/ui/tasks/new?form=simple",
    "/ui/bots",
    "/ui/bots/2001",
    "/ui/bots/2001/deliveries",
    "/ui/forms",
    "/ui/forms/321",
    "/ui/forms/321/register",
    "/ui/catalogs",
    "/ui/catalogs/4001/edit",
    "/ui/people",
    "/ui/people/1001",
    "/ui/people/new",
    "/ui/roles",
    "/ui/roles/3001",
    "/ui/roles/new",
    "/ui/inbox",
    "/ui/inbox?person=1002",
    "/ui/lists",
    "/ui/lists?person=1002",
)
"""Pages of the demo workspace that every check of the whole UI visits (with a task's page)."""


def demo_task_path(server: LiveServer) -> str:
    """A purchase request created through the UI by the loopback administrator; its page."""
    with server.client() as ui:
        page = ui.get("/ui/tasks/new?form=321")
        created = ui.post(
            "/ui/tasks/new",
            data={"csrf": csrf_of(page.text), "form": "321", "as_person": "1003", "f1": "Desk"},
        )
        assert created.status_code == 303, created.text
        return str(created.headers["location"].split("?")[0])
