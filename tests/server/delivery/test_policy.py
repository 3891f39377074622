"""Hook URL policy: addresses and URLs each policy refuses (DESIGN.md 4)."""

from __future__ import annotations

import ipaddress

import pytest

from pyrus_bots.server.delivery.policy import PolicyResolver, address_refusal, url_refusal


@pytest.mark.parametrize(
    ("address", "default", "public_only"),
    [
        ("169.254.169.254", True, True),
        ("fe80::1", True, True),
        ("224.0.0.1", True, True),
        ("0.0.0.0", True, True),
        ("::", True, True),
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("10.1.2.3", False, True),
        ("192.168.0.5", False, True),
        ("::ffff:169.254.169.254", True, True),
        ("93.184.216.34", False, False),
    ],
)
def test_address_refusals(address: str, default: bool, public_only: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert (address_refusal(ip, "default") is not None) is default
    assert (address_refusal(ip, "public-only") is not None) is public_only
    assert address_refusal(ip, "any") is None


def test_url_refusals() -> None:
    assert url_refusal("http://127.0.0.1:5000/", "default") is None
    assert "https" in (url_refusal("http://bots.example.com/", "public-only") or "")
    assert url_refusal("https://bots.example.com/", "public-only") is None
    assert "link-local" in (url_refusal("http://169.254.169.254/latest", "default") or "")
    assert url_refusal("ftp://x/", "any") is not None


async def test_resolver_checks_resolved_addresses() -> None:
    resolver = PolicyResolver("public-only")
    with pytest.raises(OSError, match="loopback"):
        await resolver.resolve("localhost", 80)
    allowed = await PolicyResolver("default").resolve("localhost", 80)
    assert allowed and all(ipaddress.ip_address(r["host"]).is_loopback for r in allowed)
    await resolver.close()
