"""Sealing bots' keys anew when the server starts (``store.secrets`` says why)."""

from __future__ import annotations

from sqlalchemy import Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import PersonRow
from pyrus_bots.server.store.secrets import KEYRING


async def reseal_bot_keys(session: AsyncSession) -> int:
    """Seal every bot key not sealed under the configured key; returns how many were rewritten.
    Raises :class:`SecretsKeyError` when a key cannot be read with the configured keys."""
    raw = PersonRow.__table__.c.sealed_key
    rows = (await session.execute(select(PersonRow.id, raw.cast(Text).label("raw")))).all()
    count = 0
    for row in rows:
        if row.raw is None or KEYRING.is_current(row.raw):
            continue
        clear = KEYRING.open(row.raw)
        await session.execute(
            update(PersonRow).where(PersonRow.id == row.id).values(security_key=clear)
        )
        count += 1
    return count
