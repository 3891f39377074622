"""The sans-I/O heart of the API client, shared by the async and the sync client.

A call is described by an :class:`ApiRequest` plus a parser (together a :class:`Call`).
:meth:`ClientCore.run` turns a call into a generator of actions (:class:`Send` an HTTP request,
:class:`Sleep` before a retry, :class:`Authenticate` because the token is missing or was
refused) and receives the outcome of each action back. The async and sync clients are thin
drivers that perform those actions with httpx; auth, retries, re-auth on 401, base URLs and
error mapping live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import httpx
from pydantic import ValidationError

from pyrus_bots import __version__
from pyrus_bots.bot.client.errors import PyrusAPIError, PyrusTransportError, redact
from pyrus_bots.bot.client.retry import RetryPolicy, parse_retry_after
from pyrus_bots.bot.urls import DEFAULT_API_URL, DEFAULT_AUTH_URL, DEFAULT_FILES_URL, platform_urls
from pyrus_bots.protocol import pyrus_json

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_AUTH_URL",
    "DEFAULT_FILES_URL",
    "DEFAULT_USER_AGENT",
    "Action",
    "ApiRequest",
    "Authenticate",
    "Call",
    "ClientCore",
    "Send",
    "Sleep",
    "json_body",
    "json_or_none",
    "platform_urls",
]

DEFAULT_USER_AGENT = f"pyrus-bots/{__version__} (python; httpx)"

T = TypeVar("T")
Base = Literal["api", "files", "auth"]
Reply = httpx.Response | httpx.TransportError | None


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP call, independent of base URL and token.

    ``path`` is relative to the base (``tasks/5/comments``); ``idempotent`` says whether a retry
    after the request may have reached the server is harmless.
    """

    method: str
    path: str
    base: Base = "api"
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    upload: tuple[str, bytes, str] | None = None  # (file name, content, content type)
    idempotent: bool = True
    authorized: bool = True
    # Codes for statuses whose body is not a Pyrus error (file downloads answer bare 403/404).
    status_codes: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request and what to make of its 2XX response."""

    request: ApiRequest
    parse: Callable[[httpx.Response], T]


@dataclass(frozen=True)
class Send:
    """Send this request; reply with the response or the httpx transport error."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    """Wait this long before going on; reply with None."""

    seconds: float


@dataclass(frozen=True)
class Authenticate:
    """Get a token unless someone already replaced ``stale_token``; reply with None.

    Drivers serialise these so that concurrent calls authenticate once.
    """

    stale_token: str | None


Action = Send | Sleep | Authenticate
Exchange = Generator[Action, Reply, T]


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body of a 2XX response."""
    try:
        return pyrus_json.loads(response.content)
    except ValueError:
        raise PyrusAPIError(
            response.status_code,
            "invalid_response",
            "the answer is not JSON",
            method=response.request.method,
            path=response.request.url.path,
        ) from None


def json_or_none(response: httpx.Response) -> Any:
    """The decoded JSON body of a 2XX response, or None when the body is empty."""
    return json_body(response) if response.content.strip() else None


@dataclass
class ClientCore:
    """Credentials, base URLs and the call protocol; performs no I/O itself."""

    access_token: str | None = None
    login: str | None = None
    security_key: str | None = None
    person_id: int | None = None
    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL
    files_url: str = DEFAULT_FILES_URL
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = DEFAULT_USER_AGENT
    _old_tokens: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.access_token is None and not (self.login and self.security_key):
            raise ValueError("give an access token, or a login and a security key")
        self.api_url = _with_slash(self.api_url)
        self.files_url = _with_slash(self.files_url)

    def __repr__(self) -> str:
        # The dataclass repr would print the token and the key.
        return f"ClientCore(login={self.login!r}, api_url={self.api_url!r})"

    @property
    def can_authenticate(self) -> bool:
        return bool(self.login and self.security_key)

    def _secrets(self) -> list[str | None]:
        return [self.access_token, self.security_key, *self._old_tokens]

    # -- building requests --

    def _base_url(self, base: Base) -> str:
        if base == "files":
            return self.files_url
        if base == "auth":
            return self.auth_url  # the full URL: auth requests have an empty path
        return self.api_url

    def build(self, request: ApiRequest) -> httpx.Request:
        """The httpx request for ``request`` with the current base URL and token."""
        url = self._base_url(request.base) + request.path
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if request.authorized and self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        timeout = httpx.Timeout(self.timeout).as_dict()
        params: tuple[tuple[str, str], ...] | None = request.params or None
        if request.upload is not None:
            return httpx.Request(
                request.method,
                url,
                params=params,
                headers=headers,
                files={"file": request.upload},
                extensions={"timeout": timeout},
            )
        body: bytes | None = None
        if request.json is not None:
            body = pyrus_json.dumps(request.json)
            headers["Content-Type"] = "application/json"
        return httpx.Request(
            request.method,
            url,
            params=params,
            headers=headers,
            content=body,
            extensions={"timeout": timeout},
        )

    # -- errors --

    def error_from(
        self, response: httpx.Response, request: ApiRequest | None = None
    ) -> PyrusAPIError:
        """The exception for a non-2XX ``response`` (Pyrus JSON error or any other body)."""
        status = response.status_code
        fallback = dict(request.status_codes) if request is not None else {}
        code = fallback.get(status, f"http_{status}")
        message = response.reason_phrase or "request failed"
        try:
            body = pyrus_json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            found_code = body.get("error_code")
            found_text = body.get("error") or body.get("error_message")
            if isinstance(found_code, str) and found_code:
                code = found_code
            if isinstance(found_text, str) and found_text:
                message = found_text
        return PyrusAPIError(
            status,
            redact(code, self._secrets()),
            redact(message, self._secrets()),
            method=response.request.method,
            path=response.request.url.path,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    # -- the call protocol --

    def _attempts(self, request: ApiRequest) -> Exchange[httpx.Response]:
        """Send ``request`` until it gets a final answer; returns that response (any status)."""
        retries = 0
        while True:
            sent = self.build(request)
            reply = yield Send(sent)
            if isinstance(reply, httpx.TransportError):
                delay = self.retry.after_transport_error(
                    retries, reply, idempotent=request.idempotent
                )
                if delay is None:
                    timed_out = isinstance(reply, httpx.TimeoutException)
                    raise PyrusTransportError(
                        "timeout" if timed_out else "connection_error",
                        f"{type(reply).__name__} after {retries + 1} attempt(s)",
                        method=request.method,
                        path=sent.url.path,
                    ) from reply
            else:
                assert reply is not None
                if reply.is_success:
                    return reply
                delay = self.retry.after_status(retries, reply, idempotent=request.idempotent)
                if delay is None:
                    return reply
            retries += 1
            yield Sleep(delay)

    def authenticate(self) -> Exchange[None]:
        """``POST auth_url`` with the login and key; switches to the answer's URLs."""
        if not self.can_authenticate:
            raise PyrusAPIError(
                401, "token_not_specified", "no login and security key to get a new token"
            )
        body: dict[str, Any] = {"login": self.login, "security_key": self.security_key}
        if self.person_id is not None:
            body["person_id"] = self.person_id
        request = ApiRequest("POST", "", base="auth", json=body, authorized=False)
        response = yield from self._attempts(request)
        if not response.is_success:
            raise self.error_from(response)
        answer = json_body(response)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise PyrusAPIError(
                response.status_code, "invalid_response", "the auth answer has no access_token"
            )
        if self.access_token:
            self._old_tokens.add(self.access_token)
        self.access_token = token
        # Multicluster: the tenant's hosts come with the token.
        if isinstance(answer.get("api_url"), str) and answer["api_url"]:
            self.api_url = _with_slash(answer["api_url"])
        if isinstance(answer.get("files_url"), str) and answer["files_url"]:
            self.files_url = _with_slash(answer["files_url"])

    def run(self, call: Call[T]) -> Exchange[T]:
        """The whole call: lazy auth, attempts with retries, one re-auth on 401, parsing."""
        if call.request.authorized and self.access_token is None:
            yield Authenticate(None)
        used_token = self.access_token
        response = yield from self._attempts(call.request)
        if response.status_code == 401 and call.request.authorized and self.can_authenticate:
            yield Authenticate(used_token)
            response = yield from self._attempts(call.request)
        if not response.is_success:
            raise self.error_from(response, call.request)
        try:
            return call.parse(response)
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise PyrusAPIError(
                response.status_code,
                "invalid_response",
                f"unexpected answer: {where}: {first['msg']}",
                method=response.request.method,
                path=response.request.url.path,
            ) from None
