"""The Person keys of the API beyond the ``people`` columns, one JSON document per person.

Keys are in their Pyrus spelling (``status``, ``native_first_name``, ``avatar_id``,
``messenger``...) and hold only values: writing ``None`` to a key removes it. The request
models of ``protocol.models.people_requests`` decide which keys and types reach this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import PersonDetailsRow


async def details_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The details of each person (an empty dict for a person without any)."""
    ids = list(person_ids)
    found: dict[int, dict[str, Any]] = {pid: {} for pid in ids}
    if ids:
        rows = await session.execute(
            select(PersonDetailsRow.person_id, PersonDetailsRow.details).where(
                PersonDetailsRow.person_id.in_(ids)
            )
        )
        for person_id, details in rows:
            found[person_id] = dict(details)
    return found


async def change_details(
    session: AsyncSession, person_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge ``changes`` into the person's details (``None`` removes a key); the result."""
    row = await session.get(PersonDetailsRow, person_id)
    details = dict(row.details) if row is not None else {}
    for key, value in changes.items():
        if value is None:
            details.pop(key, None)
        else:
            details[key] = value
    if not details:
        await session.execute(
            delete(PersonDetailsRow).where(PersonDetailsRow.person_id == person_id)
        )
    elif row is None:
        session.add(PersonDetailsRow(person_id=person_id, details=details))
    else:
        row.details = details  # a new dict: SQLAlchemy sees the change
    await session.flush()
    return details
