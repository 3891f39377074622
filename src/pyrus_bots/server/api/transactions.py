"""Sessions for API handlers: a read-only snapshot, or a write transaction committed on success."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.api.context import ApiState


@asynccontextmanager
async def reading(state: ApiState) -> AsyncIterator[AsyncSession]:
    """Reads that all see one snapshot (a task and its comments agree)."""
    async with state.database.reading() as session:
        yield session


@asynccontextmanager
async def writing(state: ApiState) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends normally, rolled back on any error."""
    async with state.database.session() as session, session.begin():
        yield session
