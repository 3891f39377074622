"""An in-memory fake of the Pyrus API v4 for testing bots and API clients.

:class:`FakePyrusAPI` is an ASGI app that answers the calls a bot makes (auth, tasks, comments,
forms, register, catalogs, files, people, inbox, lists, bots) from data you seed, and records
every call. It is deliberately rough: a comment applies text, field values by id/code/name,
an approval choice on the current step (all approvers approved -> next step, the last step
closes; rejected -> previous step), ``action``, ``reassign_to`` and attachments; there is no
rights model and no full workflow engine (the platform, ``pyrus_bots.server``, has those).

Use it in process::

    fake = FakePyrusAPI()
    fake.add_task({"id": 5, "text": "Buy paper"})
    client = fake.async_client()      # AsyncPyrusClient over httpx.ASGITransport

or over real HTTP on loopback::

    with fake.serve_in_thread() as base_url:
        client = PyrusClient.for_platform(base_url, access_token="any-token")

By default any bearer token is accepted and stands for the fake's bot (``fake.bot``); tokens
from ``POST /v4/auth`` stand for the account that logged in. ``fake.revoke_tokens()`` makes
every token issued so far answer 401, ``fake.fail_next(...)`` injects errors.
Uploads need ``python-multipart`` (part of the ``server`` and ``dev`` extras).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import io
import itertools
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pyrus_bots.bot.client import AsyncPyrusClient
from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError

__all__ = ["FakePyrusAPI", "RecordedCall", "serve_asgi_in_thread"]

JSON = dict[str, Any]
Handler = Callable[[Request, Any], Awaitable[Response]]


class RecordedCall(NamedTuple):
    """One request the fake received. ``path`` includes the query string when there is one;
    ``json`` is the decoded JSON body (None for GET and multipart); ``headers`` are lower-cased
    and never include ``authorization``."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]


@dataclass
class _Fault:
    method: str
    path: str
    status: int
    error_code: str
    times: int
    retry_after: float | None


def _now() -> str:
    return pyrus_json.format_datetime(datetime.now(UTC))


def _as_dict(value: Mapping[str, Any] | Any) -> JSON:
    """A deep copy of a dict, or the Pyrus JSON of a protocol model."""
    if isinstance(value, Mapping):
        return copy.deepcopy(dict(value))
    to_pyrus = getattr(value, "to_pyrus", None)
    if callable(to_pyrus):
        result = to_pyrus()
        if isinstance(result, dict):
            return result
    raise TypeError(f"expected a dict or a protocol model, got {type(value).__name__}")


def _json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        pyrus_json.dumps(body), status, headers=dict(headers or {}), media_type="application/json"
    )


def _error(code: str, message: str, status: int | None = None) -> PyrusError:
    return PyrusError(code, message, status)


def _id_list(value: Any) -> list[int]:
    """Ids given as a JSON list, a comma string or a single number."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [int(item) for item in value]
    return [int(part) for part in str(value).split(",") if part.strip()]


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "y", "1", "yes"}


def serve_asgi_in_thread(app: ASGIApp) -> contextlib.AbstractContextManager[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields its base URL."""

    @contextlib.contextmanager
    def serving() -> Iterator[str]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-pyrus-api", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    return serving()


class FakePyrusAPI:
    """The fake API. Seed it with ``add_*``, read what bots did with ``calls`` and
    ``comments()``; it is an ASGI app itself."""

    def __init__(
        self,
        *,
        bot: Mapping[str, Any] | None = None,
        organization: Mapping[str, Any] | None = None,
        accept_any_token: bool = True,
    ) -> None:
        self.bot: JSON = dict(
            bot
            or {
                "id": 2001,
                "first_name": "Test",
                "last_name": "Bot",
                "email": "bot@00000000000000000000",
                "type": "bot",
            }
        )
        self.organization: JSON = dict(organization or {"organization_id": 1, "name": "Acme"})
        self.accept_any_token = accept_any_token
        self.tasks: dict[int, JSON] = {}
        self.forms: dict[int, JSON] = {}
        self.catalogs: dict[int, JSON] = {}
        self.persons: dict[int, JSON] = {self.bot["id"]: self.bot}
        self.roles: dict[int, JSON] = {}
        self.lists: dict[int, JSON] = {}
        self.files: dict[int, tuple[str, bytes]] = {}
        self.calls: list[RecordedCall] = []
        self._accounts: dict[str, tuple[str, int]] = {}
        self._tokens: dict[str, int] = {}
        self._revoked: set[str] = set()
        self._seen_tokens: set[str] = set()
        self._uploads: dict[str, tuple[str, bytes]] = {}
        self._posted_comments: dict[int, list[JSON]] = {}
        self._faults: list[_Fault] = []
        self._ids = itertools.count(100_000)
        self.app = Starlette(routes=self._routes())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # -- seeding --

    def _next_id(self) -> int:
        return next(self._ids)

    def add_person(self, person: Mapping[str, Any] | Any) -> JSON:
        """A user or bot (``type: "bot"``) of the organization; returns the stored dict."""
        data = _as_dict(person)
        data.setdefault("id", self._next_id())
        self.persons[data["id"]] = data
        return data

    def add_account(
        self, login: str, security_key: str, person: Mapping[str, Any] | None = None
    ) -> JSON:
        """An identity ``POST /v4/auth`` accepts; the fake's bot unless ``person`` is given."""
        stored = self.add_person(person) if person is not None else self.bot
        self._accounts[login] = (security_key, stored["id"])
        return stored

    def issue_token(self, person_id: int | None = None) -> str:
        """A fresh token standing for ``person_id`` (the bot by default)."""
        token = secrets.token_urlsafe(24)
        self._tokens[token] = person_id if person_id is not None else self.bot["id"]
        return token

    def revoke_tokens(self) -> None:
        """Every token issued so far, and every token seen so far, answers 401 from now on."""
        self._revoked.update(self._tokens)
        self._revoked.update(self._seen_tokens)
        self._tokens.clear()

    def add_form(self, form: Mapping[str, Any] | Any) -> JSON:
        """A form template (``{id, name, fields, steps}``; ``steps`` as ``{"1": "name"}``)."""
        data = _as_dict(form)
        data.setdefault("id", self._next_id())
        data.setdefault("steps", {})
        data.setdefault("fields", [])
        self.forms[data["id"]] = data
        return data

    def add_task(self, task: Mapping[str, Any] | Any) -> JSON:
        """A task as ``GET /tasks/{id}`` returns it (dict or ``TaskWithComments``)."""
        data = _as_dict(task)
        data.setdefault("id", self._next_id())
        data.setdefault("create_date", _now())
        data.setdefault("comments", [])
        if data.get("form_id") is not None:
            data.setdefault("current_step", 1)
        self.tasks[data["id"]] = data
        return data

    def add_catalog(self, catalog: Mapping[str, Any] | Any) -> JSON:
        """A catalog: ``{catalog_id, name, catalog_headers, items: [{item_id, values}]}``."""
        data = _as_dict(catalog)
        data.setdefault("catalog_id", self._next_id())
        for item in data.setdefault("items", []):
            item.setdefault("item_id", self._next_id())
        data.setdefault("version", 1)
        self.catalogs[data["catalog_id"]] = data
        return data

    def add_role(self, role: Mapping[str, Any] | Any) -> JSON:
        data = _as_dict(role)
        data.setdefault("id", self._next_id())
        self.roles[data["id"]] = data
        return data

    def add_list(self, task_list: Mapping[str, Any] | Any) -> JSON:
        data = _as_dict(task_list)
        data.setdefault("id", self._next_id())
        self.lists[data["id"]] = data
        return data

    def add_file(self, name: str, content: bytes) -> int:
        """A stored file; returns its id (for ``download_file``)."""
        file_id = self._next_id()
        self.files[file_id] = (name, content)
        return file_id

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        error_code: str = "server_error",
        *,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method path`` (e.g. ``GET /v4/tasks/5``) with
        a Pyrus error; ``retry_after`` adds a ``Retry-After`` header."""
        self._faults.append(_Fault(method.upper(), path, status, error_code, times, retry_after))

    # -- reading what happened --

    def task(self, task_id: int) -> JSON:
        """The task as stored now."""
        return self.tasks[task_id]

    def comments(self, task_id: int) -> list[JSON]:
        """The comment requests posted to ``task_id`` (bodies of ``POST /tasks/{id}/comments``)."""
        return list(self._posted_comments.get(task_id, []))

    def async_client(self, access_token: str = "fake-token", **options: Any) -> AsyncPyrusClient:
        """An ``AsyncPyrusClient`` talking to this fake in process (no network)."""
        return AsyncPyrusClient.for_platform(
            "http://fake-pyrus", access_token, transport=httpx.ASGITransport(app=self), **options
        )

    def serve_in_thread(self) -> contextlib.AbstractContextManager[str]:
        """Serve the fake on loopback with uvicorn; a context manager yielding the base URL."""
        return serve_asgi_in_thread(self)

    # -- plumbing --

    def _routes(self) -> list[BaseRoute]:
        def route(path: str, handler: Handler, methods: list[str], **opts: Any) -> Route:
            return Route(path, self._endpoint(handler, **opts), methods=methods)

        api = [
            route("/auth", self._auth, ["POST", "GET"], authorized=False),
            route("/tasks", self._create_task, ["POST"]),
            route("/tasks/{task_id:int}", self._get_task, ["GET"]),
            route("/tasks/{task_id:int}/comments", self._comment_task, ["POST"]),
            route("/forms", self._get_forms, ["GET"]),
            route("/forms/{form_id:int}", self._get_form, ["GET"]),
            route("/forms/{form_id:int}/register", self._register, ["GET", "POST"]),
            route("/catalogs", self._get_catalogs, ["GET"]),
            route("/catalogs", self._create_catalog, ["PUT"]),
            route("/catalogs/{catalog_id:int}", self._get_catalog, ["GET"]),
            route("/catalogs/{catalog_id:int}", self._sync_catalog, ["POST"]),
            route("/catalogs/{catalog_id:int}/diff", self._diff_catalog, ["POST"]),
            route("/files/upload", self._upload, ["POST"]),
            route("/files/download/{file_id:int}", self._download, ["GET"]),
            route("/contacts", self._contacts, ["GET"]),
            route("/contacts/", self._contacts, ["GET"]),
            route("/members", self._members, ["GET"]),
            route("/members/{person_id:int}", self._member, ["GET"]),
            route("/roles", self._roles, ["GET"]),
            route("/profile", self._profile, ["GET"]),
            route("/inbox", self._inbox, ["GET"]),
            route("/lists", self._lists, ["GET"]),
            route("/lists/{list_id:int}/tasks", self._list_tasks, ["GET", "POST"]),
            route("/bots", self._bots, ["GET"]),
        ]
        return [
            Mount("/v4", routes=api),
            Mount("/api/v4", routes=api),
            route("/services/attachment", self._attachment, ["GET"]),
        ]

    def _endpoint(
        self, handler: Handler, *, authorized: bool = True
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
                    error = _error(fault.error_code, "injected by fail_next", fault.status)
                    return _json_response(error.to_json(), error.status, extra)
                if authorized:
                    request.state.person = self._caller(request)
                if raw and body is None and "json" in request.headers.get("content-type", ""):
                    raise _error("invalid_json", "The body is not JSON")
                return await handler(request, body)
            except PyrusError as error:
                return _json_response(error.to_json(), error.status)
            except HTTPException as error:
                return _json_response(
                    {"error": error.detail, "error_code": "not_found"}, error.status_code
                )

        return endpoint

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.path == path and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _caller(self, request: Request) -> JSON:
        header = request.headers.get("authorization", "")
        if not header:
            raise _error("token_not_specified", "No access token")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or token in self._revoked:
            raise _error("invalid_token", "The access token is invalid")
        person_id = self._tokens.get(token)
        if person_id is None:
            if not self.accept_any_token:
                raise _error("invalid_token", "The access token is invalid")
            self._seen_tokens.add(token)
            person_id = self.bot["id"]
        return self.persons.get(person_id, {"id": person_id})

    def _task_or_403(self, task_id: int) -> JSON:
        task = self.tasks.get(task_id)
        if task is None:
            raise _error("access_denied_task", "The task does not exist or is not accessible")
        return task

    def _resolve_person(self, ref: Any) -> JSON:
        if isinstance(ref, Mapping):
            if ref.get("id") is not None and ref["id"] in self.persons:
                return self.persons[ref["id"]]
            for person in self.persons.values():
                if ref.get("email") and person.get("email") == ref.get("email"):
                    return person
            return dict(ref)
        raise _error("person_identity_missing", "A person needs an id or an email")

    # -- auth --

    async def _auth(self, request: Request, body: Any) -> Response:
        data = body if isinstance(body, dict) else dict(request.query_params)
        login, key = data.get("login"), data.get("security_key")
        account = self._accounts.get(str(login))
        if account is None or not key or not secrets.compare_digest(account[0], str(key)):
            raise _error("invalid_credentials", "Wrong login or security key")
        token = self.issue_token(account[1])
        base = str(request.base_url).rstrip("/")
        return _json_response(
            {"access_token": token, "api_url": f"{base}/v4/", "files_url": f"{base}/"}
        )

    # -- tasks --

    async def _get_task(self, request: Request, body: Any) -> Response:
        return _json_response({"task": self._task_or_403(request.path_params["task_id"])})

    async def _create_task(self, request: Request, body: Any) -> Response:
        data = body if isinstance(body, dict) else {}
        author: JSON = request.state.person
        task: JSON = {"id": self._next_id(), "create_date": _now(), "author": author}
        for key in (
            "text",
            "formatted_text",
            "subject",
            "due_date",
            "due",
            "duration",
            "parent_task_id",
            "list_ids",
            "scheduled_date",
        ):
            if key in data:
                task[key] = data[key]
        if data.get("form_id") is not None:
            form = self.forms.get(data["form_id"])
            if form is None:
                raise _error("access_denied_form", "The form does not exist")
            task["form_id"] = form["id"]
            task["current_step"] = 1
            task["fields"] = [
                {k: v for k, v in field.items() if k in ("id", "type", "name", "code")}
                for field in form.get("fields", [])
            ]
            self._apply_field_updates(task, data.get("fields") or [])
            task["approvals"] = [
                [
                    {"person": self._resolve_person(ref), "approval_choice": "waiting"}
                    for ref in step
                ]
                for step in data.get("approvals") or []
            ]
        elif not (data.get("text") or data.get("formatted_text")):
            raise _error("text_missing", "A simple task needs text")
        if data.get("responsible"):
            task["responsible"] = self._resolve_person(data["responsible"])
        task["comments"] = [
            {"id": self._next_id(), "create_date": task["create_date"], "author": author}
        ]
        task["last_modified_date"] = task["create_date"]
        self.tasks[task["id"]] = task
        return _json_response({"task": task})

    async def _comment_task(self, request: Request, body: Any) -> Response:
        task = self._task_or_403(request.path_params["task_id"])
        data = body if isinstance(body, dict) else {}
        if data.get("text") and data.get("formatted_text"):
            raise _error("both_text_and_formatted_text_specified", "Give text or formatted_text")
        if data.get("due") and data.get("due_date"):
            raise _error("either_due_date_or_due_can_be_set", "Give due or due_date")
        author: JSON = request.state.person
        comment: JSON = {"id": self._next_id(), "create_date": _now(), "author": author}
        for key in (
            "text",
            "formatted_text",
            "subject",
            "action",
            "due_date",
            "due",
            "duration",
            "spent_minutes",
            "channel",
            "edit_comment_id",
            "added_list_ids",
            "removed_list_ids",
        ):
            if key in data:
                comment[key] = data[key]
        if data.get("field_updates"):
            comment["field_updates"] = self._apply_field_updates(task, data["field_updates"])
        if data.get("subject"):
            task["subject"] = data["subject"]
        if data.get("reassign_to"):
            task["responsible"] = comment["reassigned_to"] = self._resolve_person(
                data["reassign_to"]
            )
        if data.get("attachments"):
            comment["attachments"] = self._attach(task, data["attachments"])
        was_closed = bool(task.get("is_closed"))
        if data.get("approval_choice"):
            self._apply_approval(task, comment, author, str(data["approval_choice"]))
        if data.get("action") == "finished":
            task["is_closed"], task["close_date"] = True, comment["create_date"]
        elif data.get("action") == "reopened" or (was_closed and not data.get("skip_auto_reopen")):
            task["is_closed"] = False
            task.pop("close_date", None)
        task.setdefault("comments", []).append(comment)
        task["last_modified_date"] = comment["create_date"]
        task["last_note_id"] = comment["id"]
        self._posted_comments.setdefault(task["id"], []).append(copy.deepcopy(data))
        return _json_response({"task": task})

    def _apply_field_updates(self, task: JSON, updates: list[Any]) -> list[JSON]:
        fields: list[JSON] = task.setdefault("fields", [])
        applied = []
        for update in updates:
            if not isinstance(update, Mapping):
                raise _error("field_identity_missing", "A field update must be an object")
            target = self._find_field(fields, update)
            if target is None:
                if update.get("id") is not None:
                    raise _error("invalid_field_id", f"No field with id {update['id']}")
                if update.get("code") is not None:
                    raise _error("invalid_field_code", f"No field with code {update['code']}")
                if update.get("name") is not None:
                    raise _error("invalid_field_name", f"No field named {update['name']}")
                raise _error("field_identity_missing", "A field update needs an id, code or name")
            if "value" in update:
                if pyrus_json.is_empty(update["value"]):
                    target.pop("value", None)
                else:
                    target["value"] = copy.deepcopy(update["value"])
            applied.append(copy.deepcopy(target))
        return applied

    def _find_field(self, fields: list[JSON], update: Mapping[str, Any]) -> JSON | None:
        for field in fields:
            if (
                (update.get("id") is not None and field.get("id") == update["id"])
                or (
                    update.get("id") is None
                    and update.get("code") is not None
                    and field.get("code") == update["code"]
                )
                or (
                    update.get("id") is None
                    and update.get("code") is None
                    and update.get("name") is not None
                    and field.get("name") == update["name"]
                )
            ):
                return field
            value = field.get("value")
            if field.get("type") == "title" and isinstance(value, dict):
                nested = self._find_field(value.get("fields") or [], update)
                if nested is not None:
                    return nested
        return None

    def _attach(self, task: JSON, attachments: list[Any]) -> list[JSON]:
        attached = []
        for item in attachments:
            guid = item if isinstance(item, str) else (item or {}).get("guid")
            if guid in self._uploads:
                name, content = self._uploads[guid]
                file_id = self.add_file(name, content)
                attached.append(
                    {
                        "id": file_id,
                        "name": name,
                        "size": len(content),
                        "md5": hashlib.md5(content).hexdigest(),
                        "version": 1,
                    }
                )
            elif isinstance(item, Mapping) and item.get("attachment_id") in self.files:
                name, content = self.files[item["attachment_id"]]
                attached.append({"id": item["attachment_id"], "name": name, "size": len(content)})
            else:
                raise _error("unrecognized_attachment_id", "Unknown attachment")
        task.setdefault("attachments", []).extend(attached)
        return attached

    def _apply_approval(self, task: JSON, comment: JSON, author: JSON, choice: str) -> None:
        if choice not in {"approved", "rejected", "acknowledged", "revoked"}:
            raise _error("validation_error", f"Unknown approval_choice {choice!r}")
        step = int(task.get("current_step") or 1)
        comment["approval_choice"] = choice
        comment["approval_step"] = step
        approvals: list[list[JSON]] = task.setdefault("approvals", [])
        while len(approvals) < step:
            approvals.append([])
        entries = approvals[step - 1]
        mine = next(
            (e for e in entries if (e.get("person") or {}).get("id") == author.get("id")), None
        )
        if mine is None:
            mine = {"person": author}
            entries.append(mine)
        mine["approval_choice"] = "waiting" if choice == "revoked" else choice
        if choice == "approved" and all(e.get("approval_choice") == "approved" for e in entries):
            form = self.forms.get(task.get("form_id") or -1, {})
            last_step = max([int(k) for k in form.get("steps", {})] + [len(approvals), 1])
            if step >= last_step:
                task["is_closed"], task["close_date"] = True, comment["create_date"]
            else:
                task["current_step"] = comment["changed_step"] = step + 1
        elif choice == "rejected":
            task["current_step"] = comment["reset_to_step"] = max(1, step - 1)
            for entry in approvals[task["current_step"] - 1]:
                entry["approval_choice"] = "waiting"

    # -- forms and register --

    async def _get_forms(self, request: Request, body: Any) -> Response:
        return _json_response({"forms": list(self.forms.values())})

    async def _get_form(self, request: Request, body: Any) -> Response:
        form = self.forms.get(request.path_params["form_id"])
        if form is None:
            raise _error("access_denied_form", "The form does not exist or is not accessible")
        return _json_response(form)

    async def _register(self, request: Request, body: Any) -> Response:
        form_id = request.path_params["form_id"]
        if form_id not in self.forms:
            raise _error("access_denied_form", "The form does not exist or is not accessible")
        params: Mapping[str, Any] = body if isinstance(body, dict) else dict(request.query_params)
        tasks = [t for t in self.tasks.values() if t.get("form_id") == form_id]
        steps, task_ids = _id_list(params.get("steps")), _id_list(params.get("task_ids"))
        if steps:
            tasks = [t for t in tasks if t.get("current_step") in steps]
        if task_ids:
            tasks = [t for t in tasks if t["id"] in task_ids]
        for key, wanted in params.items():
            if key.startswith("fld") and key[3:].isdigit():
                tasks = [t for t in tasks if self._field_matches(t, int(key[3:]), wanted)]
        rows = [{k: v for k, v in t.items() if k != "comments"} for t in tasks]
        if params.get("format") == "csv":
            return Response(
                self._csv(form_id, rows, str(params.get("delimiter") or ",")), media_type="text/csv"
            )
        return _json_response({"tasks": rows})

    def _field_matches(self, task: JSON, field_id: int, wanted: Any) -> bool:
        field = self._find_field(task.get("fields") or [], {"id": field_id})
        value = None if field is None else field.get("value")
        if wanted == "empty":
            return pyrus_json.is_empty(value)
        if wanted == "*":
            return not pyrus_json.is_empty(value)
        options = [wanted] if not isinstance(wanted, str) else wanted.split(",")
        return any(str(value) == str(option) for option in options)

    def _csv(self, form_id: int, rows: list[JSON], delimiter: str) -> str:
        form_fields = self.forms[form_id].get("fields", [])
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(["Task ID", *(f.get("name", "") for f in form_fields)])
        for row in rows:
            by_id = {f.get("id"): f.get("value") for f in row.get("fields") or []}
            values = [by_id.get(f.get("id")) for f in form_fields]
            writer.writerow([row["id"], *("" if v is None else v for v in values)])
        return out.getvalue()

    # -- catalogs --

    def _catalog_or_403(self, catalog_id: int) -> JSON:
        catalog = self.catalogs.get(catalog_id)
        if catalog is None:
            raise _error("access_denied_catalog", "The catalog does not exist or is not accessible")
        return catalog

    async def _get_catalogs(self, request: Request, body: Any) -> Response:
        infos = [
            {k: v for k, v in c.items() if k not in ("items", "catalog_headers")}
            for c in self.catalogs.values()
        ]
        return _json_response({"catalogs": infos})

    async def _get_catalog(self, request: Request, body: Any) -> Response:
        catalog = copy.deepcopy(self._catalog_or_403(request.path_params["catalog_id"]))
        include_deleted = _truthy(request.query_params.get("include_deleted", "false"))
        headers = [h["name"] for h in catalog.get("catalog_headers", [])]
        columns = request.query_params.getlist("column")
        values = request.query_params.getlist("value")
        items = [i for i in catalog["items"] if include_deleted or not i.get("deleted")]
        for column, value in zip(columns, values, strict=False):
            if column in headers:
                index = headers.index(column)
                items = [i for i in items if i["values"][index] == value]
        catalog["items"] = items
        return _json_response(catalog)

    async def _create_catalog(self, request: Request, body: Any) -> Response:
        data = body if isinstance(body, dict) else {}
        headers = data.get("catalog_headers") or []
        if not headers:
            raise _error("empty_catalog_headers", "A catalog needs headers")
        catalog = self.add_catalog(
            {
                "name": data.get("name", ""),
                "catalog_headers": [{"name": h, "type": "text"} for h in headers],
                "items": [
                    {"values": list(item.get("values", []))} for item in data.get("items") or []
                ],
                "source_type": data.get("source_type", "default"),
            }
        )
        return _json_response(catalog)

    async def _sync_catalog(self, request: Request, body: Any) -> Response:
        catalog = self._catalog_or_403(request.path_params["catalog_id"])
        data = body if isinstance(body, dict) else {}
        wanted = {item["values"][0]: list(item["values"]) for item in data.get("items") or []}
        current = {i["values"][0]: i for i in catalog["items"] if not i.get("deleted")}
        upsert = [
            values for key, values in wanted.items() if current.get(key, {}).get("values") != values
        ]
        delete = [key for key in current if key not in wanted]
        result = self._change_catalog(
            catalog, upsert, delete, apply=data.get("apply", True) is not False
        )
        headers = data.get("catalog_headers")
        if headers and data.get("apply", True) is not False:
            catalog["catalog_headers"] = [{"name": h, "type": "text"} for h in headers]
        return _json_response(result)

    async def _diff_catalog(self, request: Request, body: Any) -> Response:
        catalog = self._catalog_or_403(request.path_params["catalog_id"])
        data = body if isinstance(body, dict) else {}
        upsert = [list(item["values"]) for item in data.get("upsert") or []]
        result = self._change_catalog(
            catalog,
            upsert,
            [str(k) for k in data.get("delete") or []],
            apply=data.get("apply", True) is not False,
        )
        return _json_response(result)

    def _change_catalog(
        self, catalog: JSON, upsert: list[list[Any]], delete: list[str], *, apply: bool
    ) -> JSON:
        current = {i["values"][0]: i for i in catalog["items"] if not i.get("deleted")}
        added, updated, deleted = [], [], []
        for values in upsert:
            item = current.get(values[0])
            if item is None:
                item = {"item_id": self._next_id(), "values": values}
                added.append(item)
                if apply:
                    catalog["items"].append(item)
            elif item["values"] != values:
                updated.append({"item_id": item["item_id"], "values": values})
                if apply:
                    item["values"] = values
        for key in delete:
            if key in current:
                deleted.append(copy.deepcopy(current[key]))
                if apply:
                    current[key]["deleted"] = True
        if apply and (added or updated or deleted):
            catalog["version"] = int(catalog.get("version", 1)) + 1
        return {
            "apply": apply,
            "added": added,
            "updated": updated,
            "deleted": deleted,
            "catalog_headers": catalog.get("catalog_headers", []),
        }

    # -- files --

    async def _upload(self, request: Request, body: Any) -> Response:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise _error("no_file_in_request", "No multipart part named file")
        content = await upload.read()
        if not content:
            raise _error("empty_file", "The file is empty")
        guid = str(uuid.uuid4())
        self._uploads[guid] = (upload.filename or "file", content)
        return _json_response({"guid": guid, "md5_hash": hashlib.md5(content).hexdigest()})

    def _file_response(self, file_id: int) -> Response:
        if file_id not in self.files:
            raise _error("access_denied_file", "The file does not exist or is not accessible")
        name, content = self.files[file_id]
        return Response(
            content,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _download(self, request: Request, body: Any) -> Response:
        return self._file_response(request.path_params["file_id"])

    async def _attachment(self, request: Request, body: Any) -> Response:
        self._caller(request)
        raw = request.query_params.get("Id") or request.query_params.get("id") or ""
        if not raw.isdigit():
            raise _error("unrecognized_attachment_id", "Id must be a file id")
        return self._file_response(int(raw))

    # -- people, inbox, lists, bots --

    async def _contacts(self, request: Request, body: Any) -> Response:
        include_inactive = _truthy(request.query_params.get("include_inactive", "false"))
        persons = [p for p in self.persons.values() if include_inactive or not p.get("fired")]
        organization = {**self.organization, "persons": persons, "roles": list(self.roles.values())}
        return _json_response({"organizations": [organization]})

    async def _members(self, request: Request, body: Any) -> Response:
        return _json_response(
            {"members": [p for p in self.persons.values() if p.get("type") != "bot"]}
        )

    async def _member(self, request: Request, body: Any) -> Response:
        person = self.persons.get(request.path_params["person_id"])
        if person is None:
            raise _error("access_denied_person", "No such person")
        return _json_response(person)

    async def _roles(self, request: Request, body: Any) -> Response:
        return _json_response({"roles": list(self.roles.values())})

    async def _profile(self, request: Request, body: Any) -> Response:
        me: JSON = request.state.person
        return _json_response(
            {
                "person_id": me.get("id"),
                "first_name": me.get("first_name"),
                "last_name": me.get("last_name"),
                "email": me.get("email"),
                "organization_id": self.organization.get("organization_id"),
                "organization": {
                    "organization_id": self.organization.get("organization_id"),
                    "name": self.organization.get("name"),
                },
            }
        )

    @staticmethod
    def _header(task: JSON) -> JSON:
        keys = (
            "id",
            "text",
            "subject",
            "create_date",
            "last_modified_date",
            "close_date",
            "author",
            "responsible",
            "due_date",
            "due",
            "duration",
        )
        return {k: task[k] for k in keys if k in task}

    async def _inbox(self, request: Request, body: Any) -> Response:
        me_id = request.state.person.get("id")
        item_count = int(request.query_params.get("item_count", "50"))
        waiting = []
        for task in self.tasks.values():
            if task.get("is_closed"):
                continue
            step = int(task.get("current_step") or 1)
            approvals = task.get("approvals") or []
            on_step = approvals[step - 1] if len(approvals) >= step else []
            if any(
                (a.get("person") or {}).get("id") == me_id
                and a.get("approval_choice", "waiting") == "waiting"
                for a in on_step
            ) or ((task.get("responsible") or {}).get("id") == me_id):
                waiting.append(self._header(task))
        return _json_response(
            {"tasks": waiting[:item_count], "has_more": len(waiting) > item_count}
        )

    async def _lists(self, request: Request, body: Any) -> Response:
        return _json_response({"lists": list(self.lists.values())})

    async def _list_tasks(self, request: Request, body: Any) -> Response:
        list_id = request.path_params["list_id"]
        if list_id not in self.lists:
            raise _error("access_denied", "No such list")
        params: Mapping[str, Any] = body if isinstance(body, dict) else dict(request.query_params)
        item_count = int(params.get("item_count") or 200)
        tasks = [
            self._header(t) for t in self.tasks.values() if list_id in (t.get("list_ids") or [])
        ]
        return _json_response({"tasks": tasks[:item_count], "has_more": len(tasks) > item_count})

    async def _bots(self, request: Request, body: Any) -> Response:
        bots = [
            {
                "id": p["id"],
                "name": " ".join(filter(None, [p.get("first_name"), p.get("last_name")])),
                "login": p.get("email"),
                "is_enabled": True,
            }
            for p in self.persons.values()
            if p.get("type") == "bot"
        ]
        return _json_response({"bots": bots})
