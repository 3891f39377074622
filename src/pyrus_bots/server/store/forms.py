"""Form templates, stored as ``FormDef`` documents, with an index of managers and members."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.codec import from_document, to_document
from pyrus_bots.server.store.counters import bump_directory_version
from pyrus_bots.server.store.models import FormPerson, FormRow
from pyrus_bots.server.store.people import resolve_organization_id
from pyrus_bots.server.workflow.state import FormDef

MANAGER = "manager"
MEMBER = "member"


def _form(row: FormRow) -> FormDef:
    form = from_document(FormDef, row.definition)
    form.id, form.name, form.deleted = row.id, row.name, row.deleted
    return form


async def get_form(session: AsyncSession, form_id: int) -> FormDef | None:
    row = await session.get(FormRow, form_id)
    return None if row is None else _form(row)


async def list_forms(
    session: AsyncSession, organization_id: int | None = None, *, include_deleted: bool = True
) -> list[FormDef]:
    org_id = await resolve_organization_id(session, organization_id)
    query = select(FormRow).where(FormRow.organization_id == org_id)
    if not include_deleted:
        query = query.where(FormRow.deleted.is_(False))
    return [_form(row) for row in (await session.scalars(query.order_by(FormRow.id))).all()]


async def save_form(session: AsyncSession, organization_id: int | None, form: FormDef) -> bool:
    """Create or replace a form template (id kept); True when something changed."""
    org_id = await resolve_organization_id(session, organization_id)
    document = to_document(form)
    row = await session.get(FormRow, form.id)
    if row is None:
        session.add(
            FormRow(
                id=form.id,
                organization_id=org_id,
                name=form.name,
                deleted=form.deleted,
                definition=document,
                version=1,
            )
        )
    elif row.name == form.name and row.deleted == form.deleted and row.definition == document:
        return False
    else:
        row.name, row.deleted, row.definition = form.name, form.deleted, document
        row.version += 1
    await session.flush()
    await session.execute(delete(FormPerson).where(FormPerson.form_id == form.id))
    index = {(pid, MANAGER) for pid in form.manager_ids} | {
        (pid, MEMBER) for pid in form.member_ids
    }
    if index:
        await session.execute(
            insert(FormPerson).values(
                [{"form_id": form.id, "person_id": p, "kind": k} for p, k in sorted(index)]
            )
        )
    await bump_directory_version(session)
    return True
