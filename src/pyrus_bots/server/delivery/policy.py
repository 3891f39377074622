"""The hook URL policy (DESIGN.md 4), checked on the address actually connected to.

``default`` refuses link-local, multicast, unspecified and cloud metadata addresses, also when
an IPv6 address carries one (IPv4-mapped, NAT64, 6to4, Teredo); ``public-only`` also refuses
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


# Cloud metadata services reachable on addresses that are not link-local: AWS's IPv6 endpoint,
# Google Cloud's, Oracle Cloud's, and Alibaba Cloud's IPv4 one (in the shared 100.64/10 range).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("fd00:ec2::254", "fd20:ce::254", "fd00:c1::a9fe:a9fe", "100.100.100.200")
)
# NAT64 prefixes (RFC 6052's well-known one, RFC 8215's local-use one): a gateway translates
# them to the IPv4 address in their last 32 bits.
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Tunnels through public relays to any IPv4 address: 6to4 and Teredo.
TUNNEL_PREFIXES = (ipaddress.ip_network("2002::/16"), ipaddress.ip_network("2001::/32"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a translation or a tunnel, if any:
    IPv4-mapped, NAT64, 6to4 or Teredo (the client's address)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_refusal(address: IPAddress, policy: HookPolicy) -> str | None:
    """Why ``policy`` refuses to connect to ``address``, or ``None`` when it may.

    An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo) is judged by what it
    reaches: the embedded IPv4 address must pass too, so metadata and link-local addresses
    cannot be reached through a translation. Under ``public-only`` the tunnel ranges themselves
    are refused (their relays reach arbitrary IPv4 hosts).
    """
    if policy == "any":
        return None
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = _own_refusal(inner, policy)
            if reason is not None:
                return f"{reason} (inside {address})"
            if address.ipv4_mapped is not None or any(address in p for p in NAT64_PREFIXES):
                return None  # a pure translation: the IPv4 address is what is reached
            if policy == "public-only" and any(address in p for p in TUNNEL_PREFIXES):
                return f"tunnel address {address}"
    return _own_refusal(address, policy)


def _own_refusal(address: IPAddress, policy: HookPolicy) -> str | None:
    """The policy on the address itself, without looking inside it."""
    if address in METADATA_ADDRESSES:
        return f"cloud metadata address {address}"
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
