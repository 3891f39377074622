"""The organisation, its people (users and bots as persons), rights and roles.

Functions take an ``AsyncSession`` and leave committing to the caller. ``organization_id=None``
means the deployment's organisation (the one with the lowest id; a workspace declares one).
Every change bumps the directory version (see ``directory.directory_version``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store.counters import PERSON_ID, bump_directory_version, next_value
from pyrus_bots.server.store.models import (
    Organization,
    PersonRight,
    PersonRow,
    RoleMember,
    RoleRow,
)
from pyrus_bots.server.store.person_details import details_of
from pyrus_bots.server.store.secrets import security_key_digest
from pyrus_bots.server.workflow.state import Person, Role


async def get_organization(
    session: AsyncSession, organization_id: int | None = None
) -> tuple[int, str] | None:
    """``(id, name)`` of the organisation, or None when none is stored yet."""
    query = select(Organization.id, Organization.name)
    if organization_id is None:
        query = query.order_by(Organization.id).limit(1)
    else:
        query = query.where(Organization.id == organization_id)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (int(row.id), str(row.name))


async def resolve_organization_id(session: AsyncSession, organization_id: int | None) -> int:
    found = await get_organization(session, organization_id)
    if found is None:
        raise LookupError("no organisation is stored: load a workspace first")
    return found[0]


async def save_organization(session: AsyncSession, organization_id: int, name: str) -> bool:
    """Create or rename the organisation; True when something changed."""
    row = await session.get(Organization, organization_id)
    if row is None:
        session.add(Organization(id=organization_id, name=name))
    elif row.name != name:
        row.name = name
    else:
        return False
    await session.flush()
    await bump_directory_version(session)
    return True


async def new_person_id(session: AsyncSession) -> int:
    """An unused id in the shared id space of people, bots and roles."""
    highest_person = await session.scalar(select(func.max(PersonRow.id)))
    highest_role = await session.scalar(select(func.max(RoleRow.id)))
    return await next_value(session, PERSON_ID, floor=max(highest_person or 0, highest_role or 0))


def _person(row: PersonRow, rights: Iterable[str], details: dict[str, Any] | None = None) -> Person:
    return Person(
        id=row.id,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        type="bot" if row.type == "bot" else "user",
        rights=frozenset(rights),
        position=row.position,
        department_name=row.department_name,
        phone=row.phone,
        banned=row.banned,
        fired=row.fired,
        external_id=row.external_id,
        details=details or {},
    )


async def _rights_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = list(person_ids)
    rights: dict[int, set[str]] = {pid: set() for pid in ids}
    if ids:
        rows = await session.execute(
            select(PersonRight.person_id, PersonRight.right).where(PersonRight.person_id.in_(ids))
        )
        for person_id, right in rows:
            rights[person_id].add(right)
    return rights


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    row = await session.get(PersonRow, person_id)
    if row is None:
        return None
    rights = (await _rights_of(session, [row.id]))[row.id]
    return _person(row, rights, (await details_of(session, [row.id]))[row.id])


async def find_person_by_login(session: AsyncSession, login: str) -> Person | None:
    """A person by e-mail or a bot by its login (case-insensitive)."""
    row = await session.scalar(select(PersonRow).where(PersonRow.login == login.strip().lower()))
    if row is None:
        return None
    return _person(row, (await _rights_of(session, [row.id]))[row.id])


async def list_people(
    session: AsyncSession,
    organization_id: int | None = None,
    *,
    include_fired: bool = True,
    include_bots: bool = True,
) -> list[Person]:
    """People of the organisation (bots included unless told otherwise), by id."""
    org_id = await resolve_organization_id(session, organization_id)
    query = select(PersonRow).where(PersonRow.organization_id == org_id)
    if not include_fired:
        query = query.where(PersonRow.fired.is_(False))
    if not include_bots:
        query = query.where(PersonRow.type != "bot")
    rows = (await session.scalars(query.order_by(PersonRow.id))).all()
    rights = await _rights_of(session, [r.id for r in rows])
    details = await details_of(session, [r.id for r in rows])
    return [_person(r, rights[r.id], details[r.id]) for r in rows]


async def find_credentials(session: AsyncSession, login: str) -> tuple[Person, str] | None:
    """``(person, key digest)`` for a login (a user's e-mail or a bot's login), if it has a key.

    The digest is what ``secrets.security_key_digest`` makes of the key: the caller compares it
    with ``secrets.digests_match`` (constant time) and checks ``banned``/``fired``.
    """
    row = await session.scalar(select(PersonRow).where(PersonRow.login == login.strip().lower()))
    if row is None:
        return None
    if row.type == "bot":
        digest = security_key_digest(row.security_key) if row.security_key else None
    else:
        digest = row.key_hash
    if not digest:
        return None
    return _person(row, (await _rights_of(session, [row.id]))[row.id]), digest


async def find_password_hash(session: AsyncSession, login: str) -> tuple[Person, str] | None:
    """``(person, argon2 hash)`` of a user with a password, by e-mail; None otherwise."""
    row = await session.scalar(select(PersonRow).where(PersonRow.login == login.strip().lower()))
    if row is None or row.type == "bot" or not row.password_hash:
        return None
    return _person(row, (await _rights_of(session, [row.id]))[row.id]), row.password_hash


async def set_password_hash(session: AsyncSession, person_id: int, password_hash: str) -> bool:
    """Give a user a new password (already hashed); False when there is no such user."""
    result = await session.execute(
        update(PersonRow)
        .where(PersonRow.id == person_id, PersonRow.type != "bot")
        .values(password_hash=password_hash)
    )
    return bool(getattr(result, "rowcount", 0))


async def create_person(
    session: AsyncSession,
    organization_id: int | None,
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    security_key: str | None = None,
    rights: Iterable[str] = (),
    position: str | None = None,
    department_name: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
    person_id: int | None = None,
) -> Person:
    """Add a user; the e-mail must be unused (``non_unique_email``)."""
    org_id = await resolve_organization_id(session, organization_id)
    login = email.strip().lower()
    if await session.scalar(select(PersonRow.id).where(PersonRow.login == login)) is not None:
        raise PyrusError("non_unique_email", "a person with this e-mail already exists")
    new_id = person_id if person_id is not None else await new_person_id(session)
    await session.execute(
        insert(PersonRow).values(
            id=new_id,
            organization_id=org_id,
            type="user",
            email=email.strip(),
            login=login,
            first_name=first_name,
            last_name=last_name,
            position=position,
            department_name=department_name,
            phone=phone,
            banned=False,
            fired=False,
            key_hash=security_key_digest(security_key) if security_key else None,
            external_id=external_id,
        )
    )
    await set_rights(session, new_id, rights)
    await bump_directory_version(session)
    person = await get_person(session, new_id)
    assert person is not None
    return person


PERSON_FIELDS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "position",
        "department_name",
        "phone",
        "banned",
        "fired",
        "security_key",
        "external_id",
    }
)


async def update_person(
    session: AsyncSession,
    person_id: int,
    *,
    rights: Iterable[str] | None = None,
    **changes: object,
) -> Person | None:
    """Change a person's fields (names in ``PERSON_FIELDS``) and rights; None if unknown."""
    unknown = set(changes) - PERSON_FIELDS
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    row = await session.get(PersonRow, person_id)
    if row is None:
        return None
    values = dict(changes)
    if "security_key" in values and row.type != "bot":
        key = values.pop("security_key")
        values["key_hash"] = security_key_digest(str(key)) if key else None
    if "email" in values and row.type != "bot":
        email = str(values["email"]).strip()
        values["email"] = email
        values["login"] = email.lower()
    if values:
        await session.execute(update(PersonRow).where(PersonRow.id == person_id).values(values))
    if rights is not None:
        await set_rights(session, person_id, rights)
    await bump_directory_version(session)
    session.expire(row)
    return await get_person(session, person_id)


async def set_rights(session: AsyncSession, person_id: int, rights: Iterable[str]) -> None:
    """Replace a person's rights (snake-case Pyrus right names)."""
    await session.execute(delete(PersonRight).where(PersonRight.person_id == person_id))
    wanted = sorted(set(rights))
    if wanted:
        await session.execute(
            insert(PersonRight).values([{"person_id": person_id, "right": r} for r in wanted])
        )


# --- roles ---------------------------------------------------------------------------------


async def _members_of(session: AsyncSession, role_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(role_ids)
    members: dict[int, list[int]] = {rid: [] for rid in ids}
    if ids:
        rows = await session.execute(
            select(RoleMember.role_id, RoleMember.person_id)
            .where(RoleMember.role_id.in_(ids))
            .order_by(RoleMember.role_id, RoleMember.person_id)
        )
        for role_id, person_id in rows:
            members[role_id].append(person_id)
    return members


def _role(row: RoleRow, member_ids: list[int]) -> Role:
    return Role(
        id=row.id,
        name=row.name,
        member_ids=member_ids,
        banned=row.banned,
        external_id=row.external_id,
        fired=row.fired,
    )


async def get_role(session: AsyncSession, role_id: int) -> Role | None:
    row = await session.get(RoleRow, role_id)
    if row is None:
        return None
    members = await _members_of(session, [role_id])
    return _role(row, members[role_id])


async def list_roles(
    session: AsyncSession, organization_id: int | None = None, *, include_banned: bool = True
) -> list[Role]:
    org_id = await resolve_organization_id(session, organization_id)
    query = select(RoleRow).where(RoleRow.organization_id == org_id)
    if not include_banned:
        query = query.where(RoleRow.banned.is_(False))
    rows = (await session.scalars(query.order_by(RoleRow.id))).all()
    members = await _members_of(session, [r.id for r in rows])
    return [_role(r, members[r.id]) for r in rows]


async def create_role(
    session: AsyncSession,
    organization_id: int | None,
    name: str,
    member_ids: Iterable[int] = (),
    *,
    role_id: int | None = None,
    external_id: str | None = None,
) -> Role:
    org_id = await resolve_organization_id(session, organization_id)
    new_id = role_id if role_id is not None else await new_person_id(session)
    await session.execute(
        insert(RoleRow).values(
            id=new_id,
            organization_id=org_id,
            name=name,
            banned=False,
            fired=False,
            external_id=external_id,
        )
    )
    await set_role_members(session, new_id, member_ids)
    await bump_directory_version(session)
    role = await get_role(session, new_id)
    assert role is not None
    return role


async def update_role(
    session: AsyncSession,
    role_id: int,
    *,
    name: str | None = None,
    member_add: Iterable[int] = (),
    member_remove: Iterable[int] = (),
    banned: bool | None = None,
    external_id: str | None = None,
    fired: bool | None = None,
) -> Role | None:
    row = await session.get(RoleRow, role_id)
    if row is None:
        return None
    if name is not None:
        row.name = name
    if banned is not None:
        row.banned = banned
    if external_id is not None:
        row.external_id = external_id
    if fired is not None:
        row.fired = fired
    members = set((await _members_of(session, [role_id]))[role_id])
    members = (members | set(member_add)) - set(member_remove)
    await session.flush()
    await set_role_members(session, role_id, members)
    await bump_directory_version(session)
    return await get_role(session, role_id)


async def set_role_members(session: AsyncSession, role_id: int, member_ids: Iterable[int]) -> None:
    """Replace a role's members; unknown person ids raise ``PyrusError("invalid_person_id")``."""
    wanted = sorted(set(member_ids))
    known = set((await session.scalars(select(PersonRow.id).where(PersonRow.id.in_(wanted)))).all())
    if missing := set(wanted) - known:
        raise PyrusError("invalid_person_id", f"no person with id {min(missing)}")
    await session.execute(delete(RoleMember).where(RoleMember.role_id == role_id))
    if wanted:
        await session.execute(
            insert(RoleMember).values([{"role_id": role_id, "person_id": p} for p in wanted])
        )
