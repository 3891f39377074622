"""Row-level upserts for loading a workspace file: people, bots, roles and catalogs by their ids.

The workspace file names every object by id and gives all of its columns, so these functions
compare the wanted column values with the row and write only what differs (a second load of the
same file writes nothing). They do not bump the directory version: the loader bumps it once when
anything changed. Checking the file against what the database holds (a person id that is a bot, a
login taken) is the caller's: ``get_account`` and ``login_owner`` answer those questions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import Base, BotRow, CatalogRow, PersonRight, PersonRow, RoleRow
from pyrus_bots.server.store.tokens import revoke_tokens

Row = TypeVar("Row", bound=Base)


class Saved(enum.Enum):
    """What an upsert did to its row."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Account:
    """The identity part of a ``people`` row (users and bots alike)."""

    id: int
    type: str
    login: str
    security_key: str | None


async def get_account(session: AsyncSession, person_id: int) -> Account | None:
    row = await session.get(PersonRow, person_id)
    if row is None:
        return None
    return Account(id=row.id, type=row.type, login=row.login, security_key=row.security_key)


async def login_owner(session: AsyncSession, login: str) -> int | None:
    """The id of the person or bot signing in with ``login`` (lower-cased), if any."""
    return await session.scalar(select(PersonRow.id).where(PersonRow.login == login))


async def rights_of(session: AsyncSession, person_id: int) -> set[str]:
    return set(
        await session.scalars(select(PersonRight.right).where(PersonRight.person_id == person_id))
    )


def _differs(row: object, wanted: Mapping[str, Any]) -> bool:
    return any(getattr(row, key) != value for key, value in wanted.items())


def _assign(row: object, wanted: Mapping[str, Any]) -> None:
    for key, value in wanted.items():
        setattr(row, key, value)


async def _save_row(
    session: AsyncSession, model: type[Row], row_id: int, row: Row | None, wanted: Mapping[str, Any]
) -> Saved:
    """Insert a ``model`` row when ``row`` (the one read for ``row_id``) is None, else update it."""
    if row is None:
        session.add(model(id=row_id, **wanted))
        await session.flush()
        return Saved.CREATED
    if not _differs(row, wanted):
        return Saved.UNCHANGED
    _assign(row, wanted)
    await session.flush()
    return Saved.UPDATED


async def save_person(session: AsyncSession, person_id: int, wanted: Mapping[str, Any]) -> Saved:
    """Create the person or bring the columns in ``wanted`` to their values.

    A changed security key (``key_hash``) revokes the person's tokens, as Pyrus does on a key
    change.
    """
    row = await session.get(PersonRow, person_id)
    if row is not None and wanted.get("key_hash", row.key_hash) != row.key_hash:
        await revoke_tokens(session, person_id)
    return await _save_row(session, PersonRow, person_id, row, wanted)


async def save_bot(
    session: AsyncSession,
    person_id: int,
    person_values: Mapping[str, Any],
    bot_values: Mapping[str, Any],
) -> Saved | None:
    """Create the bot (its ``people`` and ``bots`` rows) or update both; None when the person
    row exists without a ``bots`` row. An update bumps the bot's version and, when the security
    key changes, revokes its tokens."""
    person = await session.get(PersonRow, person_id)
    if person is None:
        session.add(
            PersonRow(
                id=person_id, position=None, department_name=None, phone=None, **person_values
            )
        )
        await session.flush()
        session.add(BotRow(person_id=person_id, version=1, **bot_values))
        await session.flush()
        return Saved.CREATED
    bot = await session.get(BotRow, person_id)
    if bot is None:
        return None
    if not (_differs(person, person_values) or _differs(bot, bot_values)):
        return Saved.UNCHANGED
    if person_values.get("security_key", person.security_key) != person.security_key:
        await revoke_tokens(session, person_id)
    _assign(person, person_values)
    _assign(bot, bot_values)
    bot.version += 1
    await session.flush()
    return Saved.UPDATED


async def save_role_row(session: AsyncSession, role_id: int, wanted: Mapping[str, Any]) -> Saved:
    """Create the role or bring the columns in ``wanted`` to their values (members aside)."""
    row = await session.get(RoleRow, role_id)
    return await _save_row(session, RoleRow, role_id, row, wanted)


async def restore_catalog(
    session: AsyncSession, catalog_id: int, name: str, headers: list[str]
) -> Saved | None:
    """Give an existing catalog this name and headers and undelete it (items aside); None when
    there is no such catalog. A change bumps the catalog's version."""
    row = await session.get(CatalogRow, catalog_id)
    if row is None:
        return None
    if row.name == name and list(row.headers) == headers and not row.deleted:
        return Saved.UNCHANGED
    await session.execute(
        update(CatalogRow)
        .where(CatalogRow.id == catalog_id)
        .values(name=name, headers=headers, deleted=False, version=row.version + 1)
    )
    session.expire(row)
    return Saved.UPDATED
