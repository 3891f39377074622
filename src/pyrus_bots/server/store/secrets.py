"""Secrets at rest: people's security keys hashed, bots' security keys sealed (Fernet).

A person's key is only ever compared, so only its SHA-256 is kept (keys are random, so a fast
hash is enough). A bot's key signs every webhook (HMAC), so it must be readable: it is encrypted
with Fernet under the ``secrets_key`` setting. Without that setting an embedded key is used, so a
default install reads its own database with no configuration; the embedded key is public, so
only a configured key protects a stolen database (docs/security.md). Values written under the
embedded key (or an older key listed after the current one) stay readable, and
``store.resealing`` rewrites them under the current key when the server starts.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

EMBEDDED_KEY = "PQutI6IEkF7zU3mXntN6cIxgid-4bU-PFOFQmm676Ws="
"""The key of an install without ``secrets_key``: public, so it hides nothing from a reader of
the database; it only keeps keys out of casual sight (dumps, screenshots of tables)."""
SEALED_PREFIX = "fernet:"


class SecretsKeyError(RuntimeError):
    """A sealed value cannot be opened with the configured keys."""


class _Keyring:
    def __init__(self) -> None:
        self.configure(None)

    def configure(self, keys: str | None) -> None:
        embedded = Fernet(EMBEDDED_KEY)
        configured = [Fernet(k.strip()) for k in (keys or "").split(",") if k.strip()]
        self.primary = configured[0] if configured else embedded
        self.readers = MultiFernet([*configured, embedded])

    def seal(self, value: str) -> str:
        return SEALED_PREFIX + self.primary.encrypt(value.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(SEALED_PREFIX):
            return stored  # written before keys were sealed; sealed at the next start
        try:
            return self.readers.decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretsKeyError(
                "a bot's security key was sealed with another secrets_key: "
                "configure the key it was written with"
            ) from None

    def is_current(self, stored: str) -> bool:
        if not stored.startswith(SEALED_PREFIX):
            return False
        try:
            self.primary.decrypt(stored[len(SEALED_PREFIX) :].encode())
        except InvalidToken:
            return False
        return True


KEYRING = _Keyring()


def configure_secrets_key(keys: str | None) -> None:
    """Seal with the first of ``keys`` (Fernet keys, 32 url-safe base64 bytes each, separated by
    commas) and read with any of them; None: the embedded key. Listing the old key after a new
    one rotates: the next start re-seals every bot key under the new one."""
    KEYRING.configure(keys)


class SealedSecret(TypeDecorator[str]):
    """A text column whose values are stored sealed and read back in clear."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else KEYRING.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else KEYRING.open(value)


def security_key_digest(key: str) -> str:
    """What is stored of a person's security key, and compared at sign-in."""
    return hashlib.sha256(key.encode()).hexdigest()


def digests_match(presented_key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(security_key_digest(presented_key), stored_digest)
