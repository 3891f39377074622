"""Uploaded files: metadata as ``FileRef``, bytes in ``file_chunks`` rows, holders.

A file is addressed by its numeric id (downloads, task attachments) or by the guid the upload
answered with (``NewFile`` in a comment). Its bytes are written and read one chunk
(:data:`CHUNK_BYTES`) at a time, so a file never has to fit in memory; the ``files`` row keeps
only metadata. ``file_holders`` records what holds a file (a task, for a file attached to it or
to one of its comments); ``tasks.file_access`` decides from it who may read it. Saving a file
bumps the directory version because the directory carries file metadata.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.counters import bump_directory_version
from pyrus_bots.server.store.dialects import upsert
from pyrus_bots.server.store.models import FileChunkRow, FileHolderRow, FileRow
from pyrus_bots.server.workflow.state import FileRef

CHUNK_BYTES = 1024 * 1024
"""Bytes per chunk row: large enough that a 200 MB file is 200 rows, small enough that one
row never strains memory or the database's per-value limits."""

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
    content: bytes | AsyncIterable[bytes],
    person_id: int | None,
    *,
    now: datetime | None = None,
) -> FileRef:
    """Store an upload (bytes, or pieces of any size read as they come); returns its metadata
    with a new guid (uuid4) and the content's MD5. The caller refuses empty files."""
    guid = str(uuid.uuid4())
    file_id = (
        await session.execute(
            insert(FileRow)
            .values(
                guid=guid,
                name=name,
                size=0,
                md5="",
                created_by=person_id,
                created_at=now or datetime.now(UTC),
                version=1,
            )
            .returning(FileRow.id)
        )
    ).scalar_one()
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    seq = 0
    pending = bytearray()

    async def flush(piece: bytes) -> None:
        nonlocal seq
        await session.execute(insert(FileChunkRow).values(file_id=file_id, seq=seq, data=piece))
        seq += 1

    async for piece in _pieces(content):
        digest.update(piece)
        size += len(piece)
        pending += piece
        while len(pending) >= CHUNK_BYTES:
            await flush(bytes(pending[:CHUNK_BYTES]))
            del pending[:CHUNK_BYTES]
    if pending:
        await flush(bytes(pending))
    md5 = digest.hexdigest()
    await session.execute(update(FileRow).where(FileRow.id == file_id).values(size=size, md5=md5))
    await bump_directory_version(session)
    return FileRef(id=int(file_id), guid=guid, name=name, size=size, md5=md5)


async def _pieces(content: bytes | AsyncIterable[bytes]) -> AsyncIterable[bytes]:
    if isinstance(content, bytes | bytearray):
        for start in range(0, len(content), CHUNK_BYTES):
            yield bytes(content[start : start + CHUNK_BYTES])
        return
    async for piece in content:
        yield piece


async def get_file_by_id(session: AsyncSession, file_id: int) -> FileRef | None:
    row = (await session.execute(select(*_METADATA).where(FileRow.id == file_id))).one_or_none()
    return None if row is None else _ref(row)


async def get_file_by_guid(session: AsyncSession, guid: str) -> FileRef | None:
    row = (await session.execute(select(*_METADATA).where(FileRow.guid == guid))).one_or_none()
    return None if row is None else _ref(row)


async def link_version(session: AsyncSession, file_id: int, first_id: int) -> FileRef:
    """Make ``file_id`` the newest version of the file whose first version is ``first_id``:
    its ``version`` one more than the chain's highest and its ``root_id`` the first version.
    The first version's row is locked so that two new versions get two numbers."""
    await session.execute(select(FileRow.id).where(FileRow.id == first_id).with_for_update())
    highest = await session.scalar(
        select(func.max(FileRow.version)).where(
            or_(FileRow.id == first_id, FileRow.root_id == first_id)
        )
    )
    await session.execute(
        update(FileRow)
        .where(FileRow.id == file_id)
        .values(version=int(highest or 1) + 1, root_id=first_id)
    )
    await bump_directory_version(session)
    ref = await get_file_by_id(session, file_id)
    assert ref is not None
    return ref


async def list_files(session: AsyncSession) -> list[FileRef]:
    rows = (await session.execute(select(*_METADATA).order_by(FileRow.id))).all()
    return [_ref(row) for row in rows]


async def chunk_count(session: AsyncSession, file_id: int) -> int:
    """How many chunks a file has (download streams them by ``seq``)."""
    last = await session.scalar(
        select(FileChunkRow.seq)
        .where(FileChunkRow.file_id == file_id)
        .order_by(FileChunkRow.seq.desc())
        .limit(1)
    )
    return 0 if last is None else int(last) + 1


async def read_chunk(session: AsyncSession, file_id: int, seq: int) -> bytes:
    """One chunk of a file (empty past the end)."""
    data = await session.scalar(
        select(FileChunkRow.data).where(FileChunkRow.file_id == file_id, FileChunkRow.seq == seq)
    )
    return b"" if data is None else bytes(data)


async def read_content(session: AsyncSession, file_id: int) -> bytes | None:
    """The whole of a small file, or None when there is no such file (tests, tools)."""
    if await get_file_by_id(session, file_id) is None:
        return None
    rows = await session.execute(
        select(FileChunkRow.data).where(FileChunkRow.file_id == file_id).order_by(FileChunkRow.seq)
    )
    return b"".join(bytes(data) for data in rows.scalars())


async def file_owner(session: AsyncSession, file_id: int) -> int | None:
    """Who uploaded a file (for access checks on files not yet attached to a task)."""
    owner = await session.scalar(select(FileRow.created_by).where(FileRow.id == file_id))
    return None if owner is None else int(owner)


@dataclass(frozen=True, slots=True)
class FileAccessFacts:
    """What an access check on one file needs: its uploader and what holds it."""

    uploader: int | None
    holders: tuple[tuple[str, int], ...]
    """(kind, holder id) pairs; empty before the file's first use."""


async def access_facts(
    session: AsyncSession, file_ids: Iterable[int]
) -> dict[int, FileAccessFacts]:
    """Uploader and holders of each existing file among ``file_ids``."""
    wanted = sorted(set(file_ids))
    if not wanted:
        return {}
    uploaders = {
        file_id: uploader
        for file_id, uploader in await session.execute(
            select(FileRow.id, FileRow.created_by).where(FileRow.id.in_(wanted))
        )
    }
    held: dict[int, list[tuple[str, int]]] = {}
    rows = await session.execute(
        select(FileHolderRow.file_id, FileHolderRow.kind, FileHolderRow.holder_id).where(
            FileHolderRow.file_id.in_(wanted)
        )
    )
    for file_id, kind, holder_id in rows:
        held.setdefault(int(file_id), []).append((str(kind), int(holder_id)))
    return {
        int(file_id): FileAccessFacts(
            uploader=None if uploader is None else int(uploader),
            holders=tuple(held.get(int(file_id), ())),
        )
        for file_id, uploader in uploaders.items()
    }


async def add_holders(
    session: AsyncSession, kind: str, holder_id: int, file_ids: Iterable[int]
) -> None:
    """Record that ``(kind, holder_id)`` holds these files (already recorded ones stay)."""
    rows = [{"file_id": f, "kind": kind, "holder_id": holder_id} for f in sorted(set(file_ids))]
    if rows:
        await session.execute(upsert(session, FileHolderRow).values(rows).on_conflict_do_nothing())
