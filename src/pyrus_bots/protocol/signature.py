"""The ``X-Pyrus-Sig`` webhook signature: HMAC-SHA1 of the exact body bytes, hex encoded.

Pyrus keys the HMAC with the UTF-8 bytes of the bot's security key. The hex case is not settled
(spec 9.1), so verification ignores case; it also tolerates a ``sha1=`` prefix that some
third-party senders add. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

_HEX_LENGTH = 40  # SHA-1 digest, hex encoded
_PREFIX = "sha1="


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(body: bytes, secret: str | bytes, *, upper: bool = False) -> str:
    """The hex HMAC-SHA1 of ``body`` keyed by ``secret`` (lower case unless ``upper``)."""
    digest = hmac.new(_key(secret), body, hashlib.sha1).hexdigest()
    return digest.upper() if upper else digest


def verify(body: bytes, secret: str | bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body``; a missing or malformed header fails."""
    if not header:
        return False
    received = header.strip().lower()
    if received.startswith(_PREFIX):
        received = received[len(_PREFIX) :].strip()
    if len(received) != _HEX_LENGTH or not received.isascii():
        return False
    expected = hmac.new(_key(secret), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(expected, received)
