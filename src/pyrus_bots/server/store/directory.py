"""The directory: the snapshot of the organisation the workflow engine looks things up in.

``load_directory`` reads people, roles, forms, catalogs (with items) and file metadata in a
handful of queries. Callers that want to cache it compare ``directory_version``: every repository
function that changes people, bots, roles, forms, catalogs or files bumps it in the same
transaction, so a cache keyed by the version is never stale after a commit, in any process.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.catalogs import list_catalogs
from pyrus_bots.server.store.counters import DIRECTORY_VERSION, current_value
from pyrus_bots.server.store.files import list_files
from pyrus_bots.server.store.forms import list_forms
from pyrus_bots.server.store.people import get_organization, list_people, list_roles
from pyrus_bots.server.workflow.state import Directory


async def directory_version(session: AsyncSession) -> int:
    """A number that grows whenever anything ``load_directory`` returns changes."""
    return await current_value(session, DIRECTORY_VERSION)


async def load_directory(
    session: AsyncSession, organization_id: int | None = None, *, include_files: bool = True
) -> Directory:
    """Everything the workflow engine looks up (files: metadata only).

    An empty ``Directory`` (organisation id 0) when no workspace has been loaded yet.
    """
    organization = await get_organization(session, organization_id)
    if organization is None:
        return Directory(organization_id=0, organization_name="")
    org_id, org_name = organization
    directory = Directory(
        organization_id=org_id,
        organization_name=org_name,
        people={p.id: p for p in await list_people(session, org_id)},
        roles={r.id: r for r in await list_roles(session, org_id)},
        forms={f.id: f for f in await list_forms(session, org_id)},
        catalogs={c.id: c for c in await list_catalogs(session, org_id)},
    )
    if include_files:
        for ref in await list_files(session):
            directory.files_by_id[ref.id] = ref
            directory.files_by_guid[ref.guid] = ref
    return directory
