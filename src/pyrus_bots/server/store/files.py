"""Uploaded files: bytes in the database, metadata as ``FileRef``.

A file is addressed by its numeric id (downloads, task attachments) or by the guid the upload
answered with (``NewFile`` in a comment). Saving a file bumps the directory version because the
directory carries file metadata.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.counters import bump_directory_version
from pyrus_bots.server.store.models import FileRow
from pyrus_bots.server.workflow.state import FileRef

_METADATA = (
    FileRow.id,
    FileRow.guid,
    FileRow.name,
    FileRow.size,
    FileRow.md5,
    FileRow.version,
    FileRow.root_id,
)


def _ref(row: Any) -> FileRef:
    return FileRef(
        id=row.id,
        guid=row.guid,
        name=row.name,
        size=row.size,
        md5=row.md5,
        version=row.version,
        root_id=row.root_id,
    )


async def save_file(
    session: AsyncSession,
    name: str,
    content: bytes,
    person_id: int | None,
    *,
    now: datetime | None = None,
) -> FileRef:
    """Store an upload; returns its metadata with a new guid (uuid4) and the content's MD5."""
    guid = str(uuid.uuid4())
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    new_id = (
        await session.execute(
            insert(FileRow)
            .values(
                guid=guid,
                name=name,
                size=len(content),
                md5=md5,
                content=content,
                created_by=person_id,
                created_at=now or datetime.now(UTC),
                version=1,
            )
            .returning(FileRow.id)
        )
    ).scalar_one()
    await bump_directory_version(session)
    return FileRef(id=int(new_id), guid=guid, name=name, size=len(content), md5=md5)


async def get_file_by_id(session: AsyncSession, file_id: int) -> FileRef | None:
    row = (await session.execute(select(*_METADATA).where(FileRow.id == file_id))).one_or_none()
    return None if row is None else _ref(row)


async def get_file_by_guid(session: AsyncSession, guid: str) -> FileRef | None:
    row = (await session.execute(select(*_METADATA).where(FileRow.guid == guid))).one_or_none()
    return None if row is None else _ref(row)


async def list_files(session: AsyncSession) -> list[FileRef]:
    rows = (await session.execute(select(*_METADATA).order_by(FileRow.id))).all()
    return [_ref(row) for row in rows]


async def read_content(session: AsyncSession, file_id: int) -> bytes | None:
    """The bytes of a file, or None when there is no such file."""
    content = await session.scalar(select(FileRow.content).where(FileRow.id == file_id))
    return None if content is None else bytes(content)


async def file_owner(session: AsyncSession, file_id: int) -> int | None:
    """Who uploaded a file (for access checks on files not yet attached to a task)."""
    owner = await session.scalar(select(FileRow.created_by).where(FileRow.id == file_id))
    return None if owner is None else int(owner)
