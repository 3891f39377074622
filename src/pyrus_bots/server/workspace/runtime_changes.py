"""Which wins when a workspace is loaded again: the file, or a change made at run time.

A field of a person or bot that the file sets is written only when the file's value differs
from the one the previous load wrote (remembered as a digest, ``store.workspace_applied``). So a
restart with the same file keeps what the API or UI changed since (a reset security key, a new
hook URL, a password reset): a rotated secret never comes back. Editing the field in the file
makes the file win again for that field. Passwords are remembered by their argon2 hash, never a
fast digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.passwords import hash_password_async, password_matches_async
from pyrus_bots.server.store.workspace_applied import applied_digests, remember_digests


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, default=str)).hexdigest()


@dataclass(slots=True)
class FileValues:
    """The fields one object of the file sets, checked against the previous load."""

    prefix: str  # "person:1001", "bot:2001"
    exists: bool  # the object is in the database already
    remembered: dict[str, str] = field(default_factory=dict)

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}"

    async def keep_runtime_changes(
        self, session: AsyncSession, wanted: dict[str, Any], tracked: set[str]
    ) -> dict[str, Any]:
        """``wanted`` without the tracked fields the file did not change since the last load."""
        digests = {key: _digest(wanted[key]) for key in tracked if key in wanted}
        last = await applied_digests(session, [self._name(k) for k in digests])
        kept = {
            key: value
            for key, value in wanted.items()
            if not (self.exists and key in digests and last.get(self._name(key)) == digests[key])
        }
        self.remembered.update(
            {self._name(k): d for k, d in digests.items() if last.get(self._name(k)) != d}
        )
        return kept

    async def password_hash(self, session: AsyncSession, password: str) -> str | None:
        """The hash to write for the file's password; None when the file did not change it."""
        name = self._name("password")
        last = (await applied_digests(session, [name])).get(name)
        if self.exists and last is not None and await password_matches_async(last, password):
            return None
        hashed = await hash_password_async(password)
        self.remembered[name] = hashed
        return hashed

    async def remember(self, session: AsyncSession) -> None:
        await remember_digests(session, self.remembered)
