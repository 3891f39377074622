"""The Pyrus API v4 client of the SDK: :class:`AsyncPyrusClient` and its blocking twin
:class:`PyrusClient`, on httpx.

Both share one sans-I/O core (:mod:`~pyrus_bots.bot.client.core`) for auth, retries, re-auth
on 401, base URLs and error mapping; every endpoint is written once
(:mod:`~pyrus_bots.bot.client.endpoints`) and becomes a method of both clients in
:mod:`~pyrus_bots.bot.client.base`. The two drivers only perform I/O. See ``docs/client.md``.
"""

from pyrus_bots.bot.client.async_client import AsyncPyrusClient
from pyrus_bots.bot.client.core import (
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    DEFAULT_FILES_URL,
    DEFAULT_USER_AGENT,
    platform_urls,
)
from pyrus_bots.bot.client.errors import PyrusAPIError, PyrusTransportError
from pyrus_bots.bot.client.ratelimit import RateLimiter
from pyrus_bots.bot.client.retry import RetryPolicy
from pyrus_bots.bot.client.sync_client import PyrusClient

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_AUTH_URL",
    "DEFAULT_FILES_URL",
    "DEFAULT_USER_AGENT",
    "AsyncPyrusClient",
    "PyrusAPIError",
    "PyrusClient",
    "PyrusTransportError",
    "RateLimiter",
    "RetryPolicy",
    "platform_urls",
]
