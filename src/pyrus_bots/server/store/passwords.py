"""People's web UI passwords: argon2id hashes (``argon2-cffi``, its default parameters).

Hashing is deliberately slow (tens of milliseconds, tens of MB), so the async helpers run it in
a thread and the event loop keeps serving. ``DUMMY_HASH`` lets a sign-in with an unknown e-mail
spend the same time as one with a known e-mail, so timing does not tell which e-mails exist.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id
DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
GENERATED_PASSWORD_BYTES = 12
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def password_matches_async(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(password_matches, password_hash, password)


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
