"""The files a request brings along, made ready before the change that attaches them.

``{url}`` NewFiles (fetched by the caller beforehand) are stored and named by guid, and
``{guid, root_id}`` ones become new versions (``file_versions``). Callers run
:func:`prepare_attachments` in the change's transaction and pass the directory it answers to
the change (and to the rendering of the answer), so the new files and versions are known to
both. A bot reply goes through :func:`comment_with_attachments`, which keeps the preparation
and the comment in one savepoint: a refused reply leaves no file behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.server.tasks import changes, file_versions, url_attachments
from pyrus_bots.server.tasks.url_attachments import FetchedFile, UrlRef
from pyrus_bots.server.workflow.state import Directory, Person

R = TypeVar("R", bound=BaseModel)


def needs_preparing(request: BaseModel) -> bool:
    """Whether ``request`` gives a file by URL or makes a new version of one."""
    for ref in url_attachments.file_refs(request):
        wire = ref.to_pyrus() if isinstance(ref, NewFile) else ref
        if isinstance(wire, Mapping) and wire.get("root_id") is not None:
            return True
        if url_attachments.url_ref_of(ref) is not None:
            return True
    return False


async def prepare_attachments(
    session: AsyncSession,
    directory: Directory,
    person: Person,
    request: R,
    fetched: Mapping[UrlRef, FetchedFile],
    now: datetime,
) -> tuple[Directory, R]:
    """Store the fetched files and record the new versions ``request`` makes; answers the
    directory that knows them and the request naming every file by guid or id."""
    directory, request = await url_attachments.store_fetched(
        session, directory, request, fetched, person.id, now
    )
    directory = await file_versions.link_versions(session, directory, person, request)
    return directory, request


class _Refused(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def comment_with_attachments(
    session: AsyncSession,
    directory: Directory,
    call: changes.CommentCall,
    fetched: Mapping[UrlRef, FetchedFile],
    now: datetime,
) -> changes.CommentResult:
    """One comment whose files need preparing, all of it in a savepoint (rolled back when the
    comment is refused, so nothing of it stays)."""
    try:
        async with session.begin_nested():
            prepared, request = await prepare_attachments(
                session, directory, call.author, call.request, fetched, now
            )
            (result,) = await changes.comment_tasks(
                session, prepared, [changes.CommentCall(call.task_id, call.author, request)], now
            )
            if isinstance(result, Exception):
                raise _Refused(result)
            return result
    except _Refused as refused:
        return refused.error
    except PyrusError as error:
        return error
