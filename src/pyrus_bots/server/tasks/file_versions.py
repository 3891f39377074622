"""New versions of files: a NewFile ``{guid, root_id}`` makes the uploaded file the newest
version of the file ``root_id`` names.

The new file gets ``version`` one more than the highest of the chain and ``root_id`` the chain's
first version (whatever version ``root_id`` named); every version stays a file of its own, held
and downloadable as before. The caller must be able to read the ``root_id`` file (else 403
``access_denied_file``, like an unknown id). Only a file not yet used anywhere becomes a
version: naming an already attached file with ``root_id`` attaches it unchanged.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.tasks import file_access
from pyrus_bots.server.tasks.url_attachments import file_refs, with_files
from pyrus_bots.server.workflow.state import Directory, FileRef, Person


def version_links(directory: Directory, request: BaseModel) -> list[tuple[int, int]]:
    """(new file id, root id) of each uploaded file the request attaches with ``root_id``
    (unknown guids are left to the change, which refuses them)."""
    links: list[tuple[int, int]] = []
    for ref in file_refs(request):
        wire = ref.to_pyrus() if isinstance(ref, NewFile) else ref
        if not isinstance(wire, dict):
            continue
        guid, root_id = wire.get("guid"), wire.get("root_id")
        if not isinstance(guid, str) or not isinstance(root_id, int) or isinstance(root_id, bool):
            continue
        found = directory.files_by_guid.get(guid)
        if found is not None:
            links.append((found.id, root_id))
    return list(dict.fromkeys(links))


async def link_versions(
    session: AsyncSession, directory: Directory, person: Person, request: BaseModel
) -> Directory:
    """Record the versions ``request`` makes; answers the directory with their new metadata."""
    links = version_links(directory, request)
    if not links:
        return directory
    changed: list[FileRef] = []
    for file_id, root_id in links:
        root = await file_access.readable_file(session, directory, person, root_id)
        new = directory.files_by_id[file_id]
        first_id = root.root_id or root.id
        if new.root_id is not None or file_id in (root.id, first_id):
            continue
        facts = (await file_store.access_facts(session, [file_id])).get(file_id)
        if facts is None or facts.holders:
            continue
        changed.append(await file_store.link_version(session, file_id, first_id))
    return with_files(directory, changed) if changed else directory
