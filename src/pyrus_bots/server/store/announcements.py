"""Announcements and their comments: rows whose ``body`` holds ``text``, ``formatted_text`` and
``attachments`` (file ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import desc, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import AnnouncementCommentRow, AnnouncementRow


@dataclass(slots=True)
class StoredNote:
    """An announcement or one of its comments."""

    id: int
    author_id: int
    create_date: datetime
    body: dict[str, Any]
    last_modified_date: datetime | None = None
    comments: list[StoredNote] = field(default_factory=list)


async def add_announcement(
    session: AsyncSession, organization_id: int, author_id: int, body: dict[str, Any], now: datetime
) -> int:
    statement = (
        insert(AnnouncementRow)
        .values(
            organization_id=organization_id,
            author_id=author_id,
            create_date=now,
            last_modified_date=now,
            body=body,
        )
        .returning(AnnouncementRow.id)
    )
    return int((await session.execute(statement)).scalar_one())


async def add_comment(
    session: AsyncSession, announcement_id: int, author_id: int, body: dict[str, Any], now: datetime
) -> None:
    await session.execute(
        insert(AnnouncementCommentRow).values(
            announcement_id=announcement_id, author_id=author_id, create_date=now, body=body
        )
    )
    row = await session.get(AnnouncementRow, announcement_id, with_for_update=True)
    if row is not None:
        row.last_modified_date = now


async def _comments(session: AsyncSession, ids: list[int]) -> dict[int, list[StoredNote]]:
    found: dict[int, list[StoredNote]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(AnnouncementCommentRow)
        .where(AnnouncementCommentRow.announcement_id.in_(ids))
        .order_by(AnnouncementCommentRow.id)
    )
    for row in await session.scalars(query):
        found[row.announcement_id].append(
            StoredNote(row.id, row.author_id, row.create_date, dict(row.body))
        )
    return found


def _note(row: AnnouncementRow, comments: list[StoredNote]) -> StoredNote:
    return StoredNote(
        row.id, row.author_id, row.create_date, dict(row.body), row.last_modified_date, comments
    )


async def get_announcement(session: AsyncSession, announcement_id: int) -> StoredNote | None:
    row = await session.get(AnnouncementRow, announcement_id, populate_existing=True)
    if row is None:
        return None
    return _note(row, (await _comments(session, [row.id]))[row.id])


async def latest_announcements(
    session: AsyncSession, organization_id: int, limit: int
) -> list[StoredNote]:
    """The newest announcements of the organisation first, with their comments."""
    query = (
        select(AnnouncementRow)
        .where(AnnouncementRow.organization_id == organization_id)
        .order_by(desc(AnnouncementRow.id))
        .limit(limit)
    )
    rows = list(await session.scalars(query))
    comments = await _comments(session, [row.id for row in rows])
    return [_note(row, comments[row.id]) for row in rows]
