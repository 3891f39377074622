"""Who may read a file and who may attach it (DESIGN.md 4, "Files").

A file may be read and attached by whoever can see something that holds it, and by its uploader
until its first use; everyone else gets 403 ``access_denied_file`` (unknown ids answer alike,
so ids of other people's files do not leak). What holds a file is recorded in the store
(``store.files.add_holders``) as a (kind, id) pair. Each kind has a check "may this person see
holder N", registered here with :func:`register_holder_kind`: ``task`` (the task, or one of its
comments) is built in; other parts of the platform (announcements, say) register their own kind
and record their holders, and file access follows without a change here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.store import task_index
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.workflow import access
from pyrus_bots.server.workflow.state import Directory, FileRef, Person

__all__ = [
    "TASK_HOLDER",
    "HolderCheck",
    "check_attachable",
    "readable_file",
    "record_holder",
    "register_holder_kind",
]

HolderCheck = Callable[[AsyncSession, Directory, Person, int], Awaitable[bool]]
"""``(session, directory, person, holder id) -> may person see that holder``."""

TASK_HOLDER = "task"

_holder_kinds: dict[str, HolderCheck] = {}


def register_holder_kind(kind: str, check: HolderCheck) -> None:
    """Make files held by ``kind`` readable by those ``check`` lets see the holder."""
    _holder_kinds[kind] = check


async def _can_see_task(
    session: AsyncSession, directory: Directory, person: Person, task_id: int
) -> bool:
    task = await task_store.get_task(session, task_id)
    if task is None:
        return False
    involved = await task_index.task_people(session, task_id)
    return access.can_view_task(directory, task, person, involved)


register_holder_kind(TASK_HOLDER, _can_see_task)


def _denied(file_id: int) -> PyrusError:
    return PyrusError("access_denied_file", f"file {file_id} is not accessible")


async def _may_use(
    session: AsyncSession,
    directory: Directory,
    person: Person,
    facts: file_store.FileAccessFacts,
    *,
    already_held_by: tuple[str, int] | None = None,
) -> bool:
    if person.banned or person.fired:
        return False
    if not facts.holders:
        return facts.uploader == person.id
    if already_held_by is not None and already_held_by in facts.holders:
        return True
    for kind, holder_id in facts.holders:
        check = _holder_kinds.get(kind)
        if check is not None and await check(session, directory, person, holder_id):
            return True
    return False


async def readable_file(
    session: AsyncSession, directory: Directory, person: Person, file_id: int
) -> FileRef:
    """The file's metadata if ``person`` may read it; 403 ``access_denied_file`` otherwise."""
    ref = await file_store.get_file_by_id(session, file_id)
    facts = (await file_store.access_facts(session, [file_id])).get(file_id)
    if ref is None or facts is None or not await _may_use(session, directory, person, facts):
        raise _denied(file_id)
    return ref


async def check_attachable(
    session: AsyncSession,
    directory: Directory,
    person: Person,
    file_ids: Iterable[int],
    holder: tuple[str, int],
) -> None:
    """Refuse (403 ``access_denied_file``) when ``person`` may not attach one of the files to
    ``holder`` (files ``holder`` already holds are fine)."""
    wanted = sorted(set(file_ids))
    facts = await file_store.access_facts(session, wanted)
    for file_id in wanted:
        found = facts.get(file_id)
        if found is None or not await _may_use(
            session, directory, person, found, already_held_by=holder
        ):
            raise _denied(file_id)


async def record_holder(
    session: AsyncSession, holder: tuple[str, int], file_ids: Iterable[int]
) -> None:
    """Record that ``holder`` now holds these files (call in the change's transaction)."""
    kind, holder_id = holder
    await file_store.add_holders(session, kind, holder_id, file_ids)
