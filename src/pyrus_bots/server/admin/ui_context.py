"""Per-request context of the web UI: the signed-in viewer, the directory, rendering helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin.auth import (
    check_admin_token,
    host_is_ours,
    presented_token,
)
from pyrus_bots.server.admin.ui_session import UISession, load_session, store_session
from pyrus_bots.server.admin.ui_views import MANAGE_BOTS_RIGHT, full_name
from pyrus_bots.server.api.context import ApiState, api_state
from pyrus_bots.server.store import ui_sessions
from pyrus_bots.server.workflow.state import Directory, Person

UI_PREFIX = "/ui"
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

NAV_ITEMS = (
    ("inbox", "Inbox", "/inbox"),
    ("tasks", "Tasks", "/tasks"),
    ("lists", "Lists", "/lists"),
    ("new", "New task", "/tasks/new"),
    ("bots", "Bots", "/bots"),
    ("people", "People", "/people"),
    ("roles", "Roles", "/roles"),
    ("forms", "Forms", "/forms"),
    ("catalogs", "Catalogs", "/catalogs"),
)

FLASH_MESSAGES = {
    "signed-out": ("ok", "You are signed out."),
    "bot-saved": ("ok", "Bot settings saved."),
    "bot-paused": ("ok", "Deliveries to this bot are paused: its calls wait until you resume."),
    "bot-resumed": ("ok", "Deliveries to this bot are resumed."),
    "resent": ("ok", "A new series of attempts has started."),
    "comment-added": ("ok", "Comment added."),
    "task-created": ("ok", "Task created. This page follows it live as bots act on it."),
    "catalog-saved": ("ok", "Catalog saved."),
}


def int_or_none(text: str | None) -> int | None:
    """A query or form value as an int; None when empty, not a number or beyond 64 bits (no
    id is: the databases hold 64-bit integers)."""
    try:
        number = int(text) if text not in (None, "") else None
    except ValueError:
        return None
    return number if number is None or -(2**63) <= number < 2**63 else None


def ui_url(path: str) -> str:
    return UI_PREFIX + (path if path.startswith("/") else "/" + path)


def _static_url(name: str) -> str:
    return ui_url(f"/static/{name}")


_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.ChainableUndefined,
    trim_blocks=False,
)
_environment.globals.update(ui_url=ui_url, static_url=_static_url)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at the UI: a person who signed in, or the administrator."""

    person: Person | None
    admin: bool
    signed_in: bool
    """Signed in through the sign-in page (so "Sign out" makes sense)."""

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person is not None else None

    @property
    def label(self) -> str:
        if self.person is not None:
            return full_name(self.person)
        return "administrator" if self.signed_in else "administrator (local, no token)"

    @property
    def can_sign_out(self) -> bool:
        return self.signed_in

    @property
    def can_manage_bots(self) -> bool:
        return self.admin or (self.person is not None and MANAGE_BOTS_RIGHT in self.person.rights)


TIME_ZONE_COOKIE = "pyrus_bots_tz"
"""The browser's IANA time zone, set by ui.js; dates and times are shown and typed in it."""


def viewer_zone(request: Request) -> ZoneInfo:
    """The zone of the browser's cookie, UTC when it has none or an unknown one."""
    name = unquote(request.cookies.get(TIME_ZONE_COOKIE, ""))
    if name and len(name) <= 64 and "/" in name and ".." not in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


class UIContext:
    """Built once per request by :func:`ui_context`."""

    def __init__(
        self,
        request: Request,
        state: ApiState,
        session: UISession,
        directory: Directory,
        token_presented: bool = False,
    ) -> None:
        self.request = request
        self.state = state
        self.session = session
        self.directory = directory
        self.token_presented = token_presented
        """A right admin token came in a header or cookie (wrong ones were refused before)."""
        self.viewer = self._resolve_viewer()
        self.zone = viewer_zone(request)

    def _resolve_viewer(self) -> Viewer | None:
        if self.session.person_id is not None:
            person = self.directory.people.get(self.session.person_id)
            if person is not None and person.type == "user" and not (person.banned or person.fired):
                return Viewer(person=person, admin=False, signed_in=True)
            self.session.sign_out()  # the person left the directory or was blocked
            return None
        settings = self.state.settings
        if self.session.admin and settings.admin_token:
            return Viewer(person=None, admin=True, signed_in=True)
        if settings.admin_token:
            # The token came with the request (a header): it must come with every request.
            return Viewer(person=None, admin=True, signed_in=True) if self.token_presented else None
        if not host_is_ours(self.request, settings):
            return None  # a page on another site reached loopback through DNS rebinding
        return Viewer(person=None, admin=True, signed_in=False)  # loopback only, no token

    @property
    def admin_token(self) -> str | None:
        return self.state.settings.admin_token

    def bots_changed(self) -> None:
        """A bot was created, changed, paused or resumed: every page and this process's
        delivery worker (when it runs here) must see it at once."""
        self.state.directories.invalidate()
        service = getattr(self.request.app.state, "delivery", None)
        if service is not None:
            service.forget_bot_states()
        else:
            self.state.on_deliveries()

    async def sign_in(self, person_id: int | None) -> None:
        """Start a signed-in session: a person's, or the administrator's (``None``)."""
        if person_id is None:
            self.session.sign_in_admin()
        else:
            self.session.sign_in_person(person_id)
        assert self.session.session_id is not None
        now = self.state.clock.now()
        async with self.state.database.session() as db, db.begin():
            await ui_sessions.open_session(
                db,
                self.session.session_id,
                person_id=person_id,
                admin=person_id is None,
                expires=now + timedelta(seconds=self.state.settings.ui_session_max_age),
            )

    async def sign_out(self) -> None:
        """End the session here and on the server: the cookie, and any copy of it, is dead."""
        if self.session.session_id is not None:
            async with self.state.database.session() as db, db.begin():
                await ui_sessions.close_session(db, self.session.session_id)
        self.session.sign_out()

    def csrf_ok(self, submitted: str | None) -> bool:
        return self.session.csrf_ok(submitted)

    def render(
        self, template: str, *, status_code: int = 200, section: str = "", **values: Any
    ) -> HTMLResponse:
        flash_code = self.request.query_params.get("done", "")
        flash = FLASH_MESSAGES.get(flash_code)
        context = {
            "viewer": self.viewer,
            "csrf": self.session.csrf,
            "nav_items": NAV_ITEMS,
            "time_zone": self.zone.key,
            "section": section,
            "flash": {"kind": flash[0], "text": flash[1]} if flash else None,
            "title": values.pop("title", "pyrus-bots"),
            **values,
        }
        html = _environment.get_template(f"ui/{template}").render(context)
        response = HTMLResponse(html, status_code=status_code)
        store_session(self.request, response, self.session, self.state.settings)
        return response

    def redirect(self, path: str, *, done: str | None = None) -> Response:
        target = ui_url(path)
        if done:
            target += ("&" if "?" in target else "?") + urlencode({"done": done})
        response = RedirectResponse(target, status_code=303)
        store_session(self.request, response, self.session, self.state.settings)
        return response

    def to_login(self) -> Response:
        here = self.request.url.path
        if self.request.url.query:
            here += "?" + self.request.url.query
        return self.redirect("/login?next=" + quote(here, safe=""))

    def error_page(self, status_code: int, title: str, message: str) -> HTMLResponse:
        return self.render("error.html", status_code=status_code, title=title, message=message)

    def forbidden(self, message: str) -> HTMLResponse:
        return self.error_page(403, "Not allowed", message)

    def not_found(self, what: str) -> HTMLResponse:
        return self.error_page(404, "Not found", f"There is no {what} here.")

    def bad_csrf(self) -> HTMLResponse:
        return self.error_page(
            400,
            "Form expired",
            "This form was opened in an earlier session. Reload the page and submit it again.",
        )


async def _refuse_nul(request: Request) -> None:
    """400 for a NUL character in a query or form value: PostgreSQL cannot store one, and no
    person types one. (The form is cached on the request: the page reads it again for free.)"""
    values: list[Any] = list(request.query_params.values())
    if request.method == "POST":
        values += (await request.form()).values()
    if any(isinstance(value, str) and "\x00" in value for value in values):
        raise HTTPException(400, "a value holds a NUL character")


async def ui_context(request: Request) -> UIContext:
    """FastAPI dependency for every UI page."""
    await _refuse_nul(request)
    state = api_state(request)
    session = load_session(request, state.settings)
    token_presented = await _admin_token_presented(request, state)
    async with state.database.session() as db:
        if session.signed_in and not (
            session.session_id is not None
            and await ui_sessions.session_is_open(
                db,
                session.session_id,
                person_id=session.person_id,
                admin=session.admin,
                now=state.clock.now(),
            )
        ):
            session.sign_out()  # signed out elsewhere, expired, or ended by a password reset
        directory = await state.directories.get(db)
    return UIContext(request, state, session, directory, token_presented)


async def _admin_token_presented(request: Request, state: ApiState) -> bool:
    """Whether a right admin token came in a header or cookie; a wrong one counts as a failed
    sign-in of the client address (429 while it is blocked)."""
    presented = presented_token(request)
    if state.settings.admin_token is None or presented is None:
        return False
    try:
        await check_admin_token(request, presented)
    except PyrusError as exc:
        if exc.status == 429:
            raise
        return False
    return True


async def submitted_form(request: Request) -> dict[str, list[str]]:
    """A submitted form as a multi-dict of its text values (a multi-select sends a name once per
    chosen value); uploaded files are read apart."""
    form = await request.form()
    return {
        name: [v for v in form.getlist(name) if isinstance(v, str)] for name in set(form.keys())
    }


def users_to_act_as(directory: Directory) -> list[dict[str, Any]]:
    """People an administrator may act as in a comment or a new task (bots act by webhook)."""
    return [
        {"id": p.id, "name": full_name(p), "email": p.email}
        for p in sorted(directory.people.values(), key=lambda p: p.id)
        if p.type == "user" and not (p.banned or p.fired)
    ]
