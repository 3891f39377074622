"""Catalogs (reference lists) and their items.

Items are matched by their first column (``key``) when a catalog is synced (full replace) or
diffed (upsert + delete), as Pyrus does. An item keeps its id for life: deleting marks it deleted,
and an item that comes back under the same key is revived with its old id. Any change bumps the
catalog's ``version`` and the directory version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store.counters import bump_directory_version, next_value
from pyrus_bots.server.store.dialects import dialect_name
from pyrus_bots.server.store.models import CatalogItemRow, CatalogRow
from pyrus_bots.server.store.people import resolve_organization_id
from pyrus_bots.server.workflow.state import Catalog, CatalogItem

MAX_CATALOG_ITEMS = 15_000
MAX_ITEM_VALUE_LENGTH = 500
CATALOG_ID = "catalog_id"


@dataclass(slots=True)
class CatalogChange:
    """What a sync or diff did (or would do when not applied)."""

    applied: bool
    headers: list[str]
    added: list[CatalogItem] = field(default_factory=list)
    updated: list[CatalogItem] = field(default_factory=list)
    deleted: list[CatalogItem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


def validate_catalog(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Pyrus's rules for catalog contents; raises ``PyrusError`` with its error code."""
    if not headers or any(not str(h).strip() for h in headers):
        raise PyrusError("empty_catalog_headers", "catalog headers must be non-empty")
    if len(set(headers)) != len(headers):
        raise PyrusError("catalog_duplicate_headers", "catalog headers must be unique")
    if len(rows) > MAX_CATALOG_ITEMS:
        raise PyrusError(
            "too_many_catalog_items", f"a catalog holds at most {MAX_CATALOG_ITEMS} items"
        )
    seen: set[str] = set()
    for values in rows:
        if len(values) != len(headers):
            raise PyrusError(
                "catalog_headers_items_mismatch",
                f"each item needs {len(headers)} values, one per header",
            )
        if any(len(v) > MAX_ITEM_VALUE_LENGTH for v in values):
            raise PyrusError(
                "catalog_item_max_length_exceeded",
                f"catalog values are at most {MAX_ITEM_VALUE_LENGTH} characters",
            )
        if not values[0].strip():
            raise PyrusError("empty_item_key", "the first column of an item must not be empty")
        if values[0] in seen:
            raise PyrusError(
                "catalog_duplicate_rows", f"two items share the first column {values[0]!r}"
            )
        seen.add(values[0])


async def _items(
    session: AsyncSession, catalog_ids: Iterable[int], *, include_deleted: bool = True
) -> dict[int, list[CatalogItem]]:
    ids = list(catalog_ids)
    items: dict[int, list[CatalogItem]] = {cid: [] for cid in ids}
    if not ids:
        return items
    query = select(
        CatalogItemRow.catalog_id,
        CatalogItemRow.id,
        CatalogItemRow.values,
        CatalogItemRow.deleted,
    ).where(CatalogItemRow.catalog_id.in_(ids))
    if not include_deleted:
        query = query.where(CatalogItemRow.deleted.is_(False))
    query = query.order_by(CatalogItemRow.catalog_id, CatalogItemRow.position, CatalogItemRow.id)
    for catalog_id, item_id, values, deleted in (await session.execute(query)).all():
        items[catalog_id].append(CatalogItem(item_id=item_id, values=list(values), deleted=deleted))
    return items


def _catalog(row: CatalogRow, items: list[CatalogItem]) -> Catalog:
    return Catalog(
        id=row.id,
        name=row.name,
        headers=list(row.headers),
        items=items,
        version=row.version,
        deleted=row.deleted,
    )


async def get_catalog(
    session: AsyncSession, catalog_id: int, *, include_deleted_items: bool = True
) -> Catalog | None:
    row = await session.get(CatalogRow, catalog_id)
    if row is None:
        return None
    items = await _items(session, [catalog_id], include_deleted=include_deleted_items)
    return _catalog(row, items[catalog_id])


async def list_catalogs(
    session: AsyncSession, organization_id: int | None = None, *, with_items: bool = True
) -> list[Catalog]:
    org_id = await resolve_organization_id(session, organization_id)
    rows = (
        await session.scalars(
            select(CatalogRow).where(CatalogRow.organization_id == org_id).order_by(CatalogRow.id)
        )
    ).all()
    items = await _items(session, [r.id for r in rows]) if with_items else {}
    return [_catalog(r, items.get(r.id, [])) for r in rows]


async def new_catalog_id(session: AsyncSession) -> int:
    highest = await session.scalar(select(func.max(CatalogRow.id)))
    return await next_value(session, CATALOG_ID, floor=highest or 0)


async def create_catalog(
    session: AsyncSession,
    organization_id: int | None,
    name: str,
    headers: Sequence[str],
    items: Sequence[Sequence[str]] = (),
    *,
    catalog_id: int | None = None,
) -> Catalog:
    """A new catalog (validated as Pyrus does); its id is generated unless given."""
    validate_catalog(headers, items)
    org_id = await resolve_organization_id(session, organization_id)
    new_id = catalog_id if catalog_id is not None else await new_catalog_id(session)
    await session.execute(
        insert(CatalogRow).values(
            id=new_id,
            organization_id=org_id,
            name=name,
            headers=list(headers),
            version=1,
            deleted=False,
        )
    )
    await _insert_items(session, new_id, [(i, list(v)) for i, v in enumerate(items)])
    await bump_directory_version(session)
    created = await get_catalog(session, new_id)
    assert created is not None
    return created


async def _insert_items(
    session: AsyncSession, catalog_id: int, rows: list[tuple[int, list[str]]]
) -> list[CatalogItem]:
    if not rows:
        return []
    statement = insert(CatalogItemRow).returning(CatalogItemRow.id, sort_by_parameter_order=True)
    result = await session.execute(
        statement,
        [
            {
                "catalog_id": catalog_id,
                "key": values[0],
                "values": values,
                "deleted": False,
                "position": position,
            }
            for position, values in rows
        ],
    )
    ids = result.scalars().all()
    return [CatalogItem(item_id=i, values=v) for i, (_, v) in zip(ids, rows, strict=True)]


async def _editable(session: AsyncSession, catalog_id: int) -> CatalogRow:
    """The catalog row, locked until the transaction ends (concurrent syncs queue up)."""
    if dialect_name(session) == "sqlite":
        # SQLite has no FOR UPDATE: a no-op write takes the database write lock first.
        await session.execute(
            update(CatalogRow)
            .where(CatalogRow.id == catalog_id)
            .values(version=CatalogRow.version)
            .execution_options(synchronize_session=False)
        )
    row = await session.get(CatalogRow, catalog_id, with_for_update=True)
    if row is None:
        raise PyrusError("invalid_catalog_id", f"no catalog with id {catalog_id}")
    if row.deleted:
        raise PyrusError("can_not_modify_deleted_catalog", "the catalog is deleted")
    return row


async def _existing(session: AsyncSession, catalog_id: int) -> dict[str, CatalogItemRow]:
    rows = await session.scalars(
        select(CatalogItemRow).where(CatalogItemRow.catalog_id == catalog_id)
    )
    return {row.key: row for row in rows.all()}


async def _merge(
    session: AsyncSession,
    row: CatalogRow,
    headers: list[str],
    upserts: Sequence[Sequence[str]],
    deletes: Iterable[str],
    apply: bool,
) -> CatalogChange:
    """Upsert items by first column and delete the keys given; write when ``apply``."""
    change = CatalogChange(applied=apply, headers=headers)
    existing = await _existing(session, row.id)
    next_position = max((r.position for r in existing.values()), default=-1) + 1
    new_rows: list[tuple[int, list[str]]] = []
    updates: list[dict[str, object]] = []
    for values in upserts:
        values = list(values)
        current = existing.get(values[0])
        if current is None:
            new_rows.append((next_position, values))
            next_position += 1
        elif current.deleted or list(current.values) != values:
            updates.append({"id": current.id, "values": values, "deleted": False})
            item = CatalogItem(item_id=current.id, values=values)
            (change.added if current.deleted else change.updated).append(item)
    for key in deletes:
        current = existing.get(key)
        if current is not None and not current.deleted:
            updates.append({"id": current.id, "deleted": True})
            change.deleted.append(
                CatalogItem(item_id=current.id, values=list(current.values), deleted=True)
            )
    headers_changed = list(row.headers) != headers
    if not apply:
        change.added.extend(CatalogItem(item_id=0, values=v) for _, v in new_rows)
        return change
    if updates:
        await session.execute(update(CatalogItemRow), updates)
    change.added.extend(await _insert_items(session, row.id, new_rows))
    if change.changed or headers_changed:
        row.headers = headers
        row.version += 1
        await session.flush()
        await bump_directory_version(session)
    return change


async def sync_catalog(
    session: AsyncSession,
    catalog_id: int,
    headers: Sequence[str],
    items: Sequence[Sequence[str]],
    *,
    apply: bool = True,
) -> CatalogChange:
    """Make the catalog hold exactly these items (POST /catalogs/{id}): unlisted items are
    deleted. With ``apply=False`` only reports what would change."""
    validate_catalog(headers, items)
    row = await _editable(session, catalog_id)
    listed = {values[0] for values in items}
    existing = await _existing(session, catalog_id)
    gone = [key for key, item in existing.items() if not item.deleted and key not in listed]
    return await _merge(session, row, list(headers), items, gone, apply)


async def diff_catalog(
    session: AsyncSession,
    catalog_id: int,
    upsert: Sequence[Sequence[str]] = (),
    delete: Iterable[str] = (),
    *,
    apply: bool = True,
) -> CatalogChange:
    """Add or change the items given and delete those whose first column is listed
    (POST /catalogs/{id}/diff)."""
    row = await _editable(session, catalog_id)
    headers = list(row.headers)
    validate_catalog(headers, upsert)
    return await _merge(session, row, headers, upsert, delete, apply)


async def delete_catalog(session: AsyncSession, catalog_id: int) -> None:
    """Mark the catalog deleted (``DELETE /catalogs/bulk``): it keeps its items for the tasks
    that chose them, but can no longer be changed."""
    row = await _editable(session, catalog_id)
    row.deleted = True
    row.version += 1
    await session.flush()
    await bump_directory_version(session)


async def rename_catalog(session: AsyncSession, catalog_id: int, name: str) -> bool:
    row = await session.get(CatalogRow, catalog_id)
    if row is None or row.name == name:
        return False
    row.name = name
    row.version += 1
    await session.flush()
    await bump_directory_version(session)
    return True
