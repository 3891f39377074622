"""The fake API as an ASGI app: routes ``/v4``, ``/api/v4`` and ``services/attachment`` to
the handlers of each area, records every call and injects the faults tests asked for."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from pyrus_bots.bot.client import AsyncPyrusClient
from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.testing.fake_api import catalogs, files, forms, lists, people, people_writes, tasks
from pyrus_bots.testing.fake_api.common import RecordedCall, json_response, pyrus_error
from pyrus_bots.testing.fake_api.loopback import serve_asgi_in_thread
from pyrus_bots.testing.fake_api.state import FakeState

__all__ = ["FakePyrusAPI"]

Handler = Callable[[FakeState, Request, Any], Awaitable[Response]]
BoundHandler = Callable[[Request, Any], Awaitable[Response]]


class FakePyrusAPI(FakeState):
    """The fake API. Seed it with ``add_*``, read what bots did with ``calls`` and
    ``comments()``; it is an ASGI app itself."""

    @functools.cached_property
    def app(self) -> Starlette:
        """The Starlette app serving the routes (built on first use)."""
        return Starlette(routes=self._routes())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def async_client(self, access_token: str = "fake-token", **options: Any) -> AsyncPyrusClient:
        """An ``AsyncPyrusClient`` talking to this fake in process (no network)."""
        return AsyncPyrusClient.for_platform(
            "http://fake-pyrus", access_token, transport=httpx.ASGITransport(app=self), **options
        )

    def serve_in_thread(self) -> contextlib.AbstractContextManager[str]:
        """Serve the fake on loopback with uvicorn; a context manager yielding the base URL."""
        return serve_asgi_in_thread(self)

    # -- plumbing --

    # -- plumbing --

    def _routes(self) -> list[BaseRoute]:
        def route(path: str, handler: Handler, methods: list[str], **opts: Any) -> Route:
            bound = functools.partial(handler, self)
            return Route(path, self._endpoint(bound, **opts), methods=methods)

        api = [
            route("/auth", people.auth, ["POST", "GET"], authorized=False),
            route("/tasks", tasks.create_task, ["POST"]),
            route("/tasks/{task_id:int}", tasks.get_task, ["GET"]),
            route("/tasks/{task_id:int}/comments", tasks.comment_task, ["POST"]),
            route("/forms", forms.get_forms, ["GET"]),
            route("/forms/{form_id:int}", forms.get_form, ["GET"]),
            route("/forms/{form_id:int}/register", forms.register, ["GET", "POST"]),
            route("/catalogs", catalogs.get_catalogs, ["GET"]),
            route("/catalogs", catalogs.create_catalog, ["PUT"]),
            route("/catalogs/{catalog_id:int}", catalogs.get_catalog, ["GET"]),
            route("/catalogs/{catalog_id:int}", catalogs.sync_catalog, ["POST"]),
            route("/catalogs/{catalog_id:int}/diff", catalogs.diff_catalog, ["POST"]),
            route("/files/upload", files.upload, ["POST"]),
            route("/files/download/{file_id:int}", files.download, ["GET"]),
            route("/contacts", people.contacts, ["GET"]),
            route("/contacts/", people.contacts, ["GET"]),
            route("/members", people.members, ["GET"]),
            route("/members/{person_id:int}", people.member, ["GET"]),
            route("/roles", people.roles, ["GET"]),
            route("/profile", people.profile, ["GET"]),
            route("/inbox", lists.inbox, ["GET"]),
            route("/lists", lists.lists, ["GET"]),
            route("/lists/{list_id:int}/tasks", lists.list_tasks, ["GET", "POST"]),
            route("/bots", people.bots, ["GET"]),
            # people management
            route("/members", people_writes.create_member, ["POST"]),
            route("/members/bulk", people_writes.change_members, ["POST"]),
            route("/members/{person_id:int}", people_writes.update_member, ["PUT"]),
            route("/members/{person_id:int}", people_writes.delete_member, ["DELETE"]),
            route("/members/{person_id:int}/avatar", people_writes.set_avatar, ["PUT"]),
            route("/roles", people_writes.create_role, ["POST"]),
            route("/roles/bulk", people_writes.roles_bulk, ["POST", "PUT", "DELETE"]),
            route("/roles/{role_id:int}", people_writes.get_role, ["GET"]),
            route("/roles/{role_id:int}", people_writes.update_role, ["PUT"]),
            route("/roles/{role_id:int}", people_writes.delete_role, ["DELETE"]),
            route("/profile/identity", people_writes.identity, ["GET"]),
            route("/bots/{bot_id:int}", people_writes.update_bot, ["PUT"]),
        ]
        return [
            Mount("/v4", routes=api),
            Mount("/api/v4", routes=api),
            route("/services/attachment", files.attachment, ["GET"]),
        ]

    def _endpoint(
        self, handler: BoundHandler, *, authorized: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body: Any = None
            if raw and "json" in request.headers.get("content-type", "json"):
                try:
                    body = pyrus_json.loads(raw)
                except ValueError:
                    body = None
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            headers = {k: v for k, v in request.headers.items() if k != "authorization"}
            recorded = body
            if isinstance(body, dict) and "security_key" in body:
                recorded = {**body, "security_key": "***"}  # recorded calls may end up in logs
            self.calls.append(RecordedCall(request.method, path, recorded, headers))
            try:
                fault = self._take_fault(request.method, request.url.path)
                if fault is not None:
                    extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
                    error = pyrus_error(fault.error_code, "injected by fail_next", fault.status)
                    return json_response(error.to_json(), error.status, extra)
                if authorized:
                    request.state.person = self._caller(request)
                if raw and body is None and "json" in request.headers.get("content-type", ""):
                    raise pyrus_error("invalid_json", "The body is not JSON")
                return await handler(request, body)
            except PyrusError as error:
                return json_response(error.to_json(), error.status)
            except HTTPException as error:
                return json_response(
                    {"error": error.detail, "error_code": "not_found"}, error.status_code
                )

        return endpoint
