"""The fake API's data: what tests seed (people, forms, tasks, catalogs, roles, lists, files,
accounts, tokens, faults) and what bots did (recorded calls, posted comments), with the lookups
the request handlers share."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from pyrus_bots.testing.fake_api.common import (
    JSON,
    Fault,
    RecordedCall,
    as_dict,
    found,
    now,
    pyrus_error,
)

__all__ = ["FakeState"]


class FakeState:
    """The objects the fake serves. Seed it with ``add_*``, read what bots did with ``calls``
    and ``comments()``."""

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
        self._faults: list[Fault] = []
        self._ids = itertools.count(100_000)

    # -- seeding --

    def _next_id(self) -> int:
        return next(self._ids)

    def add_person(self, person: Mapping[str, Any] | Any) -> JSON:
        """A user or bot (``type: "bot"``) of the organization; returns the stored dict."""
        data = as_dict(person)
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
        """A form template (``{id, name, fields, steps}``; ``steps`` as ``{"1": "name"}``), or
        a :func:`~pyrus_bots.testing.make_form` form; bots read choice options from it."""
        data = as_dict(form)
        data.setdefault("id", self._next_id())
        data.setdefault("steps", {})
        data.setdefault("fields", [])
        self.forms[data["id"]] = data
        return data

    def add_task(self, task: Mapping[str, Any] | Any) -> JSON:
        """A task as ``GET /tasks/{id}`` returns it (dict or ``TaskWithComments``)."""
        data = as_dict(task)
        data.setdefault("id", self._next_id())
        data.setdefault("create_date", now())
        data.setdefault("comments", [])
        if data.get("form_id") is not None:
            data.setdefault("current_step", 1)
        self.tasks[data["id"]] = data
        return data

    def add_catalog(self, catalog: Mapping[str, Any] | Any) -> JSON:
        """A catalog: ``{catalog_id, name, catalog_headers, items: [{item_id, values}]}``."""
        data = as_dict(catalog)
        data.setdefault("catalog_id", self._next_id())
        for item in data.setdefault("items", []):
            item.setdefault("item_id", self._next_id())
        data.setdefault("version", 1)
        self.catalogs[data["catalog_id"]] = data
        return data

    def add_role(self, role: Mapping[str, Any] | Any) -> JSON:
        data = as_dict(role)
        data.setdefault("id", self._next_id())
        self.roles[data["id"]] = data
        return data

    def add_list(self, task_list: Mapping[str, Any] | Any) -> JSON:
        data = as_dict(task_list)
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
        self._faults.append(Fault(method.upper(), path, status, error_code, times, retry_after))

    # -- reading what happened --

    def task(self, task_id: int) -> JSON:
        """The task as stored now."""
        return self.tasks[task_id]

    def comments(self, task_id: int) -> list[JSON]:
        """The comment requests posted to ``task_id`` (bodies of ``POST /tasks/{id}/comments``)."""
        return list(self._posted_comments.get(task_id, []))

    # -- lookups the handlers share --

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.path == path and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _caller(self, request: Request) -> JSON:
        header = request.headers.get("authorization", "")
        if not header:
            raise pyrus_error("token_not_specified", "No access token")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or token in self._revoked:
            raise pyrus_error("invalid_token", "The access token is invalid")
        person_id = self._tokens.get(token)
        if person_id is None:
            if not self.accept_any_token:
                raise pyrus_error("invalid_token", "The access token is invalid")
            self._seen_tokens.add(token)
            person_id = self.bot["id"]
        return self.persons.get(person_id, {"id": person_id})

    def _task_or_403(self, task_id: int) -> JSON:
        message = "The task does not exist or is not accessible"
        return found(self.tasks, task_id, "access_denied_task", message)

    def _resolve_person(self, ref: Any) -> JSON:
        if isinstance(ref, Mapping):
            if ref.get("id") is not None and ref["id"] in self.persons:
                return self.persons[ref["id"]]
            for person in self.persons.values():
                if ref.get("email") and person.get("email") == ref.get("email"):
                    return person
            return dict(ref)
        raise pyrus_error("person_identity_missing", "A person needs an id or an email")

    # -- auth --

    def _catalog_or_403(self, catalog_id: int) -> JSON:
        message = "The catalog does not exist or is not accessible"
        return found(self.catalogs, catalog_id, "access_denied_catalog", message)
