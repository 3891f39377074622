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
        # Cloud metadata services on addresses that are not link-local.
        ("fd00:ec2::254", True, True),
        ("fd20:ce::254", True, True),
        ("100.100.100.200", True, True),
        # IPv6 forms that reach an IPv4 address: NAT64, 6to4, Teredo, IPv4-mapped.
        ("64:ff9b::a9fe:a9fe", True, True),
        ("64:ff9b:1::a9fe:a9fe", True, True),
        ("64:ff9b::7f00:1", False, True),
        ("64:ff9b::5db8:d822", False, False),
        ("::ffff:10.0.0.1", False, True),
        ("::ffff:93.184.216.34", False, False),
        ("2002:a9fe:a9fe::1", True, True),
        ("2002:e000:0001::1", True, True),
        ("2002:0a00:0001::1", False, True),
        ("2002:5db8:d822::1", False, True),
        ("2001:0:4136:e378:8000:63bf:5601:5601", True, True),
        ("2001:0:4136:e378:8000:63bf:a2a2:a2a2", False, True),
        ("2606:4700:4700::1111", False, False),
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
    assert "metadata" in (url_refusal("http://[fd00:ec2::254]/latest", "default") or "")
    assert "169.254.169.254" in (url_refusal("http://[64:ff9b::a9fe:a9fe]/", "default") or "")
    assert "tunnel" in (url_refusal("https://[2002:5db8:d822::1]/", "public-only") or "")


async def test_resolver_checks_resolved_addresses() -> None:
    resolver = PolicyResolver("public-only")
    with pytest.raises(OSError, match="loopback"):
        await resolver.resolve("localhost", 80)
    allowed = await PolicyResolver("default").resolve("localhost", 80)
    assert allowed and all(ipaddress.ip_address(r["host"]).is_loopback for r in allowed)
    await resolver.close()
