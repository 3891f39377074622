"""What the async and the sync client share: the constructor, the state they show, and every
endpoint method, each written once as an :class:`~pyrus_bots.bot.client.endpoint.Endpoint`.

A driver (``async_client.py``, ``sync_client.py``) adds only what depends on the I/O style:
the httpx client, sleeping, the auth lock, closing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, Self, TypeVar

from pyrus_bots.bot.client import (
    endpoints,
    endpoints_catalogs,
    endpoints_lists,
    endpoints_people,
)
from pyrus_bots.bot.client.core import (
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    DEFAULT_FILES_URL,
    DEFAULT_USER_AGENT,
    ClientCore,
    platform_urls,
)
from pyrus_bots.bot.client.endpoint import Endpoint, RegistryEndpoint
from pyrus_bots.bot.client.ratelimit import RateLimiter
from pyrus_bots.bot.client.retry import RetryPolicy

__all__ = ["PyrusClientBase"]

TransportT = TypeVar("TransportT")


class PyrusClientBase(ABC, Generic[TransportT]):
    """Pyrus API v4 client.

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
        transport: TransportT | None = None,
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
        self._connect(transport, timeout)

    @abstractmethod
    def _connect(self, transport: TransportT | None, timeout: float) -> None:
        """Open the driver's httpx client (and whatever else it needs per client)."""

    @classmethod
    def for_platform(cls, base_url: str, access_token: str | None = None, **options: Any) -> Self:
        """A client for a pyrus-bots platform at ``base_url`` (``<base>/v4/`` API and auth,
        ``<base>/`` files); ``options`` are those of the constructor."""
        return cls(access_token, **{**platform_urls(base_url), **options})

    def _reserve_send(self) -> float:
        """Seconds to wait before the next request, under the client's rate limit."""
        return self._limiter.reserve() if self._limiter is not None else 0.0

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

    # -- endpoints: each is a method on both clients (a coroutine on the async one) --

    request = Endpoint(endpoints.request)
    # tasks
    get_task = Endpoint(endpoints.get_task)
    comment_task = Endpoint(endpoints.comment_task)
    create_task = Endpoint(endpoints.create_task)
    # forms
    get_forms = Endpoint(endpoints.get_forms)
    get_form = Endpoint(endpoints.get_form)
    get_registry = RegistryEndpoint(endpoints.get_registry)
    # catalogs
    get_catalogs = Endpoint(endpoints.get_catalogs)
    get_catalog = Endpoint(endpoints.get_catalog)
    create_catalog = Endpoint(endpoints.create_catalog)
    sync_catalog = Endpoint(endpoints.sync_catalog)
    diff_catalog = Endpoint(endpoints.diff_catalog)
    create_catalogs = Endpoint(endpoints_catalogs.create_catalogs)
    sync_catalogs = Endpoint(endpoints_catalogs.sync_catalogs)
    delete_catalogs = Endpoint(endpoints_catalogs.delete_catalogs)
    # files
    upload_file = Endpoint(endpoints.upload_file)
    download_file = Endpoint(endpoints.download_file)
    # people
    get_contacts = Endpoint(endpoints.get_contacts)
    get_members = Endpoint(endpoints.get_members)
    get_member = Endpoint(endpoints.get_member)
    get_roles = Endpoint(endpoints.get_roles)
    get_profile = Endpoint(endpoints.get_profile)
    get_bots = Endpoint(endpoints.get_bots)
    # people management (members, roles, identity, bot rights)
    create_member = Endpoint(endpoints_people.create_member)
    update_member = Endpoint(endpoints_people.update_member)
    delete_member = Endpoint(endpoints_people.delete_member)
    set_avatar = Endpoint(endpoints_people.set_avatar)
    change_members = Endpoint(endpoints_people.change_members)
    get_role = Endpoint(endpoints_people.get_role)
    create_role = Endpoint(endpoints_people.create_role)
    update_role = Endpoint(endpoints_people.update_role)
    delete_role = Endpoint(endpoints_people.delete_role)
    create_roles = Endpoint(endpoints_people.create_roles)
    update_roles = Endpoint(endpoints_people.update_roles)
    delete_roles = Endpoint(endpoints_people.delete_roles)
    get_identity = Endpoint(endpoints_people.get_identity)
    set_bot_rights = Endpoint(endpoints_people.set_bot_rights)
    # inbox and lists
    get_inbox = Endpoint(endpoints.get_inbox)
    get_lists = Endpoint(endpoints.get_lists)
    get_task_list = Endpoint(endpoints.get_task_list)
    # lists, calendar, announcements (endpoints_lists)
    get_lists_tree = Endpoint(endpoints_lists.get_lists_tree)
    get_list = Endpoint(endpoints_lists.get_list)
    create_list = Endpoint(endpoints_lists.create_list)
    create_lists = Endpoint(endpoints_lists.create_lists)
    update_list = Endpoint(endpoints_lists.update_list)
    update_lists = Endpoint(endpoints_lists.update_lists)
    delete_list = Endpoint(endpoints_lists.delete_list)
    delete_lists = Endpoint(endpoints_lists.delete_lists)
    get_calendar = Endpoint(endpoints_lists.get_calendar)
    get_tasks_by_approver = Endpoint(endpoints_lists.get_tasks_by_approver)
    get_announcements = Endpoint(endpoints_lists.get_announcements)
    get_announcement = Endpoint(endpoints_lists.get_announcement)
    create_announcement = Endpoint(endpoints_lists.create_announcement)
    comment_announcement = Endpoint(endpoints_lists.comment_announcement)
