"""The asyncio API client: :class:`AsyncPyrusClient`.

A thin driver over :class:`~pyrus_bots.bot.client.core.ClientCore`: it sends the requests the
core describes with an ``httpx.AsyncClient``, sleeps with ``asyncio.sleep`` and serialises
authentication with an ``asyncio.Lock``. ``sync_client.py`` is its twin; keep them in step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast, overload

import httpx

from pyrus_bots.bot.client import endpoints
from pyrus_bots.bot.client.core import (
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    DEFAULT_FILES_URL,
    DEFAULT_USER_AGENT,
    Action,
    ApiRequest,
    Authenticate,
    Call,
    ClientCore,
    Exchange,
    Reply,
    Send,
    json_or_none,
    platform_urls,
)
from pyrus_bots.bot.client.ratelimit import RateLimiter
from pyrus_bots.bot.client.retry import RetryPolicy
from pyrus_bots.protocol import (
    Bot,
    Catalog,
    CatalogInfo,
    CatalogSyncResponse,
    CommentRequest,
    CreateTaskRequest,
    FormTemplate,
    InboxResponse,
    Organization,
    Person,
    Profile,
    Role,
    Task,
    TaskHeadersResponse,
    TaskList,
    TaskWithComments,
    UploadResponse,
)

__all__ = ["AsyncPyrusClient"]

T = TypeVar("T")


class AsyncPyrusClient:
    """Pyrus API v4 client for asyncio code.

    Give the webhook's ``access_token``, or a ``login`` and ``security_key`` (the client then
    calls ``POST auth_url`` on first use, switches to the ``api_url``/``files_url`` of the
    answer, and re-authenticates once when a call answers 401). Every call has ``timeout``;
    connection failures, 429 and 5XX are retried up to ``max_retries`` times with exponential
    backoff (see :mod:`~pyrus_bots.bot.client.retry` for which calls are safe to repeat);
    ``rate_limit`` = (calls, seconds) keeps the client under Pyrus's per-user limit.
    Errors raise :class:`~pyrus_bots.bot.client.PyrusAPIError` or
    :class:`~pyrus_bots.bot.client.PyrusTransportError`.
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        login: str | None = None,
        security_key: str | None = None,
        person_id: int | None = None,
        api_url: str = DEFAULT_API_URL,
        auth_url: str = DEFAULT_AUTH_URL,
        files_url: str = DEFAULT_FILES_URL,
        timeout: float = 30.0,
        max_retries: int = 3,
        rate_limit: tuple[int, float] | None = (5000, 600.0),
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        retry_backoff: float = 0.5,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._core = ClientCore(
            access_token=access_token,
            login=login,
            security_key=security_key,
            person_id=person_id,
            api_url=api_url,
            auth_url=auth_url,
            files_url=files_url,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries, backoff_base=retry_backoff),
            user_agent=user_agent,
        )
        if rate_limiter is None and rate_limit is not None:
            rate_limiter = RateLimiter(*rate_limit)
        self._limiter = rate_limiter
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._auth_lock = asyncio.Lock()

    @classmethod
    def for_platform(cls, base_url: str, access_token: str | None = None, **options: Any) -> Self:
        """A client for a pyrus-bots platform at ``base_url`` (``<base>/v4/`` API and auth,
        ``<base>/`` files); ``options`` are those of the constructor."""
        return cls(access_token, **{**platform_urls(base_url), **options})

    # -- state --

    @property
    def access_token(self) -> str | None:
        """The token in use (None before the first authentication)."""
        return self._core.access_token

    @property
    def api_url(self) -> str:
        """The API base URL in use (the auth answer's ``api_url`` once authenticated)."""
        return self._core.api_url

    @property
    def files_url(self) -> str:
        """The files base URL in use (the auth answer's ``files_url`` once authenticated)."""
        return self._core.files_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- driver --

    async def _drive(self, exchange: Exchange[T]) -> T:
        reply: Reply = None
        while True:
            try:
                action = exchange.send(reply)
            except StopIteration as finished:
                return cast(T, finished.value)
            reply = await self._perform(action)

    async def _perform(self, action: Action) -> Reply:
        if isinstance(action, Send):
            if self._limiter is not None:
                wait = self._limiter.reserve()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await self._http.send(action.request)
            except httpx.TransportError as error:
                return error
        if isinstance(action, Authenticate):
            async with self._auth_lock:
                if self._core.access_token == action.stale_token:
                    await self._drive(self._core.authenticate())
            return None
        await asyncio.sleep(action.seconds)
        return None

    async def _run(self, call: Call[T]) -> T:
        return await self._drive(self._core.run(call))

    async def authenticate(self) -> None:
        """Get a token now with the login and security key (otherwise done on first call)."""
        async with self._auth_lock:
            await self._drive(self._core.authenticate())

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Any other API call: ``path`` relative to ``api_url`` (``"tasks/5"``); returns the
        decoded JSON answer (None for an empty body). Only GET, PUT and DELETE are retried
        after the server may have seen the request."""
        request = ApiRequest(
            method.upper(),
            path.lstrip("/"),
            params=tuple((params or {}).items()),
            json=json,
            idempotent=method.upper() in {"GET", "PUT", "DELETE"},
        )
        return await self._run(Call(request, json_or_none))

    # -- tasks --

    async def get_task(self, task_id: int) -> TaskWithComments:
        """``GET /tasks/{id}``: the task with all its comments."""
        return await self._run(endpoints.get_task(task_id))

    async def comment_task(
        self, task_id: int, comment: CommentRequest | Mapping[str, Any]
    ) -> TaskWithComments:
        """``POST /tasks/{id}/comments``; returns the task including the new comment."""
        return await self._run(endpoints.comment_task(task_id, comment))

    async def create_task(self, request: CreateTaskRequest | Mapping[str, Any]) -> TaskWithComments:
        """``POST /tasks``: a simple task (``text``) or a form task (``form_id``)."""
        return await self._run(endpoints.create_task(request))

    # -- forms --

    async def get_forms(self) -> list[FormTemplate]:
        """``GET /forms``."""
        return await self._run(endpoints.get_forms())

    async def get_form(self, form_id: int) -> FormTemplate:
        """``GET /forms/{id}``."""
        return await self._run(endpoints.get_form(form_id))

    @overload
    async def get_registry(
        self,
        form_id: int,
        request: Mapping[str, Any] | None = None,
        *,
        format: Literal["json"] = "json",
        steps: int | Iterable[int] | None = None,
        task_ids: int | Iterable[int] | None = None,
        field_ids: int | Iterable[int] | None = None,
        include_archived: bool = False,
        field_filters: Mapping[int, Any] | None = None,
        **filters: Any,
    ) -> list[Task]: ...

    @overload
    async def get_registry(
        self,
        form_id: int,
        request: Mapping[str, Any] | None = None,
        *,
        format: Literal["csv"],
        steps: int | Iterable[int] | None = None,
        task_ids: int | Iterable[int] | None = None,
        field_ids: int | Iterable[int] | None = None,
        include_archived: bool = False,
        field_filters: Mapping[int, Any] | None = None,
        **filters: Any,
    ) -> str: ...

    async def get_registry(
        self,
        form_id: int,
        request: Mapping[str, Any] | None = None,
        *,
        format: Literal["json", "csv"] = "json",
        steps: int | Iterable[int] | None = None,
        task_ids: int | Iterable[int] | None = None,
        field_ids: int | Iterable[int] | None = None,
        include_archived: bool = False,
        field_filters: Mapping[int, Any] | None = None,
        **filters: Any,
    ) -> list[Task] | str:
        """``POST /forms/{id}/register``: the form's tasks (without comments), or the CSV text
        with ``format="csv"``. Filters: see :func:`~pyrus_bots.bot.client.endpoints.register_body`
        (e.g. ``steps=[2]``, ``field_filters={5: "gt100"}``, ``fld7="empty"``)."""
        body = endpoints.register_body(
            request,
            steps=steps,
            task_ids=task_ids,
            field_ids=field_ids,
            include_archived=include_archived,
            field_filters=field_filters,
            **filters,
        )
        if format == "csv":
            return await self._run(endpoints.get_registry_csv(form_id, body))
        return await self._run(endpoints.get_registry(form_id, body))

    # -- catalogs --

    async def get_catalogs(self) -> list[CatalogInfo]:
        """``GET /catalogs``."""
        return await self._run(endpoints.get_catalogs())

    async def get_catalog(
        self,
        catalog_id: int,
        *,
        include_deleted: bool = False,
        filters: endpoints.CatalogFilters | None = None,
        use_wildcard: bool = False,
    ) -> Catalog:
        """``GET /catalogs/{id}``; ``filters`` = {column: value} keeps matching items."""
        return await self._run(
            endpoints.get_catalog(
                catalog_id,
                include_deleted=include_deleted,
                filters=filters,
                use_wildcard=use_wildcard,
            )
        )

    async def create_catalog(
        self, name: str, headers: Sequence[str], items: Iterable[Sequence[Any]] = ()
    ) -> Catalog:
        """``PUT /catalogs``: a new catalog with these column headers and item rows."""
        return await self._run(endpoints.create_catalog(name, headers, items))

    async def sync_catalog(
        self,
        catalog_id: int,
        headers: Sequence[str],
        items: Iterable[Sequence[Any]],
        *,
        apply: bool = True,
        force_update_first_column: bool = False,
    ) -> CatalogSyncResponse:
        """``POST /catalogs/{id}``: replace all items (unlisted ones are deleted)."""
        return await self._run(
            endpoints.sync_catalog(
                catalog_id,
                headers,
                items,
                apply=apply,
                force_update_first_column=force_update_first_column,
            )
        )

    async def diff_catalog(
        self,
        catalog_id: int,
        *,
        upsert: Iterable[Sequence[Any]] = (),
        delete: Iterable[str] = (),
    ) -> CatalogSyncResponse:
        """``POST /catalogs/{id}/diff``: upsert and delete items keyed by the first column."""
        return await self._run(endpoints.diff_catalog(catalog_id, upsert=upsert, delete=delete))

    # -- files --

    async def upload_file(
        self,
        name: str,
        data: endpoints.FileData,
        content_type: str = "application/octet-stream",
    ) -> UploadResponse:
        """``POST <api_url>files/upload``; attach the answer's ``guid`` to a comment."""
        return await self._run(endpoints.upload_file(name, data, content_type))

    async def download_file(self, file_id: int) -> bytes:
        """``GET <files_url>services/attachment?Id=<id>``: the file's bytes."""
        return await self._run(endpoints.download_file(file_id))

    # -- people --

    async def get_contacts(self, include_inactive: bool = False) -> list[Organization]:
        """``GET /contacts``: organizations with their persons and roles."""
        return await self._run(endpoints.get_contacts(include_inactive))

    async def get_members(self) -> list[Person]:
        """``GET /members``."""
        return await self._run(endpoints.get_members())

    async def get_member(self, person_id: int) -> Person:
        """``GET /members/{id}``."""
        return await self._run(endpoints.get_member(person_id))

    async def get_roles(self) -> list[Role]:
        """``GET /roles``."""
        return await self._run(endpoints.get_roles())

    async def get_profile(self) -> Profile:
        """``GET /profile``: who the token belongs to."""
        return await self._run(endpoints.get_profile())

    async def get_bots(self) -> list[Bot]:
        """``GET /bots``."""
        return await self._run(endpoints.get_bots())

    # -- inbox and lists --

    async def get_inbox(self, item_count: int = 50, group_item_count: int = 50) -> InboxResponse:
        """``GET /inbox``: tasks waiting for the caller."""
        return await self._run(endpoints.get_inbox(item_count, group_item_count))

    async def get_lists(self) -> list[TaskList]:
        """``GET /lists``."""
        return await self._run(endpoints.get_lists())

    async def get_task_list(
        self,
        list_id: int,
        *,
        item_count: int = 200,
        include_archived: bool = False,
        **filters: Any,
    ) -> TaskHeadersResponse:
        """``GET /lists/{id}/tasks``; ``filters`` such as ``modified_after=datetime``."""
        return await self._run(
            endpoints.get_task_list(
                list_id, item_count=item_count, include_archived=include_archived, **filters
            )
        )
