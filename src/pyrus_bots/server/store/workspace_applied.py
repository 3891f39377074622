"""What each workspace load wrote: a digest per object field (``bot:2001.hook_url``).

The loader compares a file's value with the digest of the value the previous load wrote: the
same digest means the file did not change that field, so a value changed since at run time (a
key reset, a new hook URL) is kept (docs/workspace.md, "Restarting with a workspace").
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.dialects import upsert
from pyrus_bots.server.store.models import WorkspaceAppliedRow


async def applied_digests(session: AsyncSession, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    rows = await session.execute(
        select(WorkspaceAppliedRow.name, WorkspaceAppliedRow.digest).where(
            WorkspaceAppliedRow.name.in_(names)
        )
    )
    return {row.name: row.digest for row in rows}


async def remember_digests(session: AsyncSession, digests: Mapping[str, str]) -> None:
    for name, digest in digests.items():
        statement = upsert(session, WorkspaceAppliedRow).values(name=name, digest=digest)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["name"], set_={"digest": statement.excluded.digest}
            )
        )
