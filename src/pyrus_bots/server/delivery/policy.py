"""The hook URL policy (DESIGN.md 4), checked on the address actually connected to.

``default`` refuses link-local, multicast and unspecified addresses; ``public-only`` also refuses
loopback and private ranges and any URL that is not ``https://``; ``any`` refuses nothing. Names
are checked after DNS resolution by :class:`PolicyResolver`, which the HTTP connector uses, so the
checked address is the one the socket connects to (no window for DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from pyrus_bots.server.settings import HookPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class HookRefused(OSError):
    """The policy refuses this hook URL or the address its name resolves to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def address_refusal(address: IPAddress, policy: HookPolicy) -> str | None:
    """Why ``policy`` refuses to connect to ``address``, or ``None`` when it may."""
    if policy == "any":
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return f"unspecified address {address}"
    if address.is_link_local:
        return f"link-local address {address}"
    if address.is_multicast:
        return f"multicast address {address}"
    if policy == "public-only":
        if address.is_loopback:
            return f"loopback address {address}"
        if address.is_private or address.is_reserved or not address.is_global:
            return f"private address {address}"
    return None


def url_refusal(url: str, policy: HookPolicy) -> str | None:
    """Why ``policy`` refuses ``url`` before any DNS look-up (scheme, IP literal host)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "malformed URL"
    if parts.scheme not in {"http", "https"} or not host:
        return "not an http(s) URL"
    if policy == "public-only" and parts.scheme != "https":
        return "only https:// hook URLs are allowed"
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address_refusal(literal, policy)


class PolicyResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then drops addresses the policy refuses."""

    def __init__(self, policy: HookPolicy) -> None:
        self._policy = policy
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        reasons: list[str] = []
        for entry in found:
            reason = address_refusal(ipaddress.ip_address(entry["host"]), self._policy)
            if reason is None:
                allowed.append(entry)
            else:
                reasons.append(reason)
        if not allowed:
            raise HookRefused(f"{host} resolves to {', '.join(reasons) or 'nothing'}")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def refusal_of(exc: BaseException) -> str | None:
    """The policy reason carried anywhere in an exception chain, if any."""
    seen: set[int] = set()
    current: Any = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, HookRefused):
            return current.reason
        for attr in ("os_error", "_os_error"):
            inner = getattr(current, attr, None)
            if isinstance(inner, HookRefused):
                return inner.reason
        current = current.__cause__ or current.__context__
    return None
