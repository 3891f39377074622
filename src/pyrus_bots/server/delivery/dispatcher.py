"""The outbound HTTP side: POST one signed webhook and classify what happened.

One aiohttp session serves every bot: the connector resolves names through the hook URL policy,
verifies HTTPS against the system CA store or ``--hook-ca-bundle``, never follows redirects and
has no connection limit of its own (the scheduler caps calls per bot and overall).
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import time
from dataclasses import dataclass, field

import aiohttp

from pyrus_bots.server.delivery.policy import PolicyResolver, refusal_of, url_refusal
from pyrus_bots.server.settings import HookPolicy

SUCCESS = "success"
READ_CHUNK = 64 * 1024


@dataclass(slots=True)
class HttpResult:
    """What one attempt produced. ``outcome`` is ``success`` for any 2XX answered in time."""

    outcome: str
    detail: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_size: int = 0
    body_truncated: bool = False
    latency: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCESS


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verification as Pyrus does it: the system CA store, or only the given bundle."""
    return (
        ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    )


def _connection_failure(exc: BaseException) -> tuple[str, str]:
    reason = refusal_of(exc)
    if reason is not None:
        return f"refused_by_policy: {reason}", reason
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return "tls_error", text
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        return "tls_error", text
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns_error", text
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return "connection_reset", text
    os_error = getattr(exc, "os_error", None)
    code = getattr(os_error, "errno", None) or getattr(exc, "errno", None)
    if code == errno.ECONNREFUSED or isinstance(os_error, ConnectionRefusedError):
        return "connection_refused", text
    if code in {errno.ECONNRESET, errno.EPIPE} or isinstance(os_error, ConnectionResetError):
        return "connection_reset", text
    return "connection_error", text


class HookClient:
    """Sends webhooks; one instance per delivery service, closed with :meth:`close`."""

    def __init__(
        self,
        *,
        policy: HookPolicy,
        timeout: float,
        ca_bundle: str | None,
        max_body: int,
        dns_cache_seconds: int,
    ) -> None:
        """``dns_cache_seconds``: how long resolved (and policy-checked) addresses are reused."""
        self._policy = policy
        self._timeout = timeout
        self._max_body = max_body
        connector = aiohttp.TCPConnector(
            resolver=PolicyResolver(policy),
            ssl=tls_context(ca_bundle),
            limit=0,
            limit_per_host=0,
            ttl_dns_cache=dns_cache_seconds,
            enable_cleanup_closed=True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            auto_decompress=True,
            skip_auto_headers=("Accept",),
        )

    async def close(self) -> None:
        await self._session.close()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        refusal = url_refusal(url, self._policy)
        if refusal is not None:
            return HttpResult(outcome=f"refused_by_policy: {refusal}", detail=refusal)
        started = time.perf_counter()
        result: HttpResult
        try:
            async with asyncio.timeout(self._timeout):
                result = await self._exchange(url, body, headers)
        except TimeoutError:
            result = HttpResult(outcome="timeout", detail=f"no answer within {self._timeout:g} s")
        except aiohttp.InvalidURL as exc:
            result = HttpResult(outcome="invalid_url", detail=str(exc))
        except (aiohttp.ClientError, OSError) as exc:
            outcome, detail = _connection_failure(exc)
            result = HttpResult(outcome=outcome, detail=detail)
        result.latency = time.perf_counter() - started
        return result

    async def _exchange(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        async with self._session.post(
            url, data=body, headers=headers, allow_redirects=False
        ) as response:
            chunks: list[bytes] = []
            size = 0
            truncated = False
            while True:
                chunk = await response.content.read(READ_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self._max_body:
                    truncated = True  # stop reading: the reply will not be applied anyway
                    break
                chunks.append(chunk)
            status = response.status
            outcome = SUCCESS if 200 <= status < 300 else f"http_{status}"
            return HttpResult(
                outcome=outcome,
                status=status,
                headers={str(k): str(v) for k, v in response.headers.items()},
                body=b"".join(chunks),
                body_size=size,
                body_truncated=truncated,
            )
