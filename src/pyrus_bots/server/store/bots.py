"""Bots: a person of type ``bot`` plus its webhook settings.

A bot logs in with its login ``bot@<20 lowercase hex>`` and its security key, which is also the
HMAC key of its webhooks. An organisation has at most ``MAX_BOTS_PER_ORGANIZATION`` bots that are
not fired; ``delete_bot`` fires a bot (its tasks and comments keep their author).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store.counters import bump_directory_version, hold_lock
from pyrus_bots.server.store.models import BotRow, PersonRow
from pyrus_bots.server.store.people import new_person_id, resolve_organization_id
from pyrus_bots.server.store.tokens import revoke_tokens

MAX_BOTS_PER_ORGANIZATION = 100
BOT_LOGIN_PREFIX = "bot@"
BOT_LOGIN_HEX_DIGITS = 20
SECURITY_KEY_BYTES = 32


@dataclass(slots=True)
class BotRecord:
    person_id: int
    name: str
    login: str
    security_key: str
    hook_url: str | None = None
    settings: str | None = None
    enabled: bool = True
    send_only_last_comment: bool = False
    description: str | None = None
    locale: str | None = None
    time_zone_offset: int | None = None
    external_id: str | None = None
    version: int = 1
    fired: bool = False
    organization_id: int | None = None


def generate_bot_login() -> str:
    """``bot@`` followed by 20 lowercase hex digits, the shape of Pyrus bot logins."""
    return BOT_LOGIN_PREFIX + secrets.token_hex(BOT_LOGIN_HEX_DIGITS // 2)


def generate_security_key() -> str:
    return secrets.token_urlsafe(SECURITY_KEY_BYTES)


def _record(person: PersonRow, bot: BotRow) -> BotRecord:
    return BotRecord(
        person_id=person.id,
        name=bot.name,
        login=person.email,
        security_key=person.security_key or "",
        hook_url=bot.hook_url,
        settings=bot.settings,
        enabled=bot.enabled,
        send_only_last_comment=bot.send_only_last_comment,
        description=bot.description,
        locale=bot.locale,
        time_zone_offset=bot.time_zone_offset,
        external_id=person.external_id,
        version=bot.version,
        fired=person.fired,
        organization_id=person.organization_id,
    )


async def get_bot(session: AsyncSession, person_id: int) -> BotRecord | None:
    query = (
        select(PersonRow, BotRow)
        .join(BotRow, BotRow.person_id == PersonRow.id)
        .where(PersonRow.id == person_id)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else _record(row[0], row[1])


async def list_bots(
    session: AsyncSession, organization_id: int | None = None, *, include_fired: bool = False
) -> list[BotRecord]:
    org_id = await resolve_organization_id(session, organization_id)
    query = (
        select(PersonRow, BotRow)
        .join(BotRow, BotRow.person_id == PersonRow.id)
        .where(PersonRow.organization_id == org_id)
    )
    if not include_fired:
        query = query.where(PersonRow.fired.is_(False))
    rows = (await session.execute(query.order_by(PersonRow.id))).all()
    return [_record(person, bot) for person, bot in rows]


async def count_active_bots(session: AsyncSession, organization_id: int) -> int:
    query = (
        select(func.count())
        .select_from(PersonRow)
        .where(
            PersonRow.organization_id == organization_id,
            PersonRow.type == "bot",
            PersonRow.fired.is_(False),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def create_bot(
    session: AsyncSession,
    organization_id: int | None,
    name: str,
    *,
    hook_url: str | None = None,
    settings: str | None = None,
    enabled: bool = True,
    send_only_last_comment: bool = False,
    description: str | None = None,
    locale: str | None = None,
    time_zone_offset: int | None = None,
    external_id: str | None = None,
    login: str | None = None,
    security_key: str | None = None,
    person_id: int | None = None,
) -> BotRecord:
    """Add a bot; generates the login and key when not given.

    Raises ``PyrusError("limit_exceeded")`` when the organisation already has 100 active bots.
    """
    org_id = await resolve_organization_id(session, organization_id)
    # Serialise bot creation per organisation so the limit holds across processes.
    await hold_lock(session, f"bots:{org_id}")
    if await count_active_bots(session, org_id) >= MAX_BOTS_PER_ORGANIZATION:
        raise PyrusError(
            "limit_exceeded",
            f"an organization may have at most {MAX_BOTS_PER_ORGANIZATION} bots",
        )
    login = (login or generate_bot_login()).strip().lower()
    if await session.scalar(select(PersonRow.id).where(PersonRow.login == login)) is not None:
        raise PyrusError("non_unique_email", "this bot login is already in use")
    new_id = person_id if person_id is not None else await new_person_id(session)
    await session.execute(
        insert(PersonRow).values(
            id=new_id,
            organization_id=org_id,
            type="bot",
            email=login,
            login=login,
            first_name=name,
            last_name="",
            banned=False,
            fired=False,
            security_key=security_key or generate_security_key(),
            external_id=external_id,
        )
    )
    await session.execute(
        insert(BotRow).values(
            person_id=new_id,
            name=name,
            hook_url=hook_url,
            settings=settings,
            enabled=enabled,
            send_only_last_comment=send_only_last_comment,
            description=description,
            locale=locale,
            time_zone_offset=time_zone_offset,
            version=1,
        )
    )
    await bump_directory_version(session)
    created = await get_bot(session, new_id)
    assert created is not None
    return created


BOT_FIELDS = frozenset(
    {
        "name",
        "hook_url",
        "settings",
        "enabled",
        "send_only_last_comment",
        "description",
        "locale",
        "time_zone_offset",
    }
)
PERSON_SIDE_FIELDS = frozenset({"security_key", "external_id", "fired"})


async def update_bot(session: AsyncSession, person_id: int, **changes: object) -> BotRecord | None:
    """Change a bot (names in ``BOT_FIELDS`` and ``security_key``, ``external_id``, ``fired``);
    bumps its version; a new security key revokes the bot's tokens. None when there is no such
    bot."""
    unknown = set(changes) - BOT_FIELDS - PERSON_SIDE_FIELDS
    if unknown:
        raise TypeError(f"unknown bot fields: {sorted(unknown)}")
    current = await get_bot(session, person_id)
    if current is None:
        return None
    bot_values = {k: v for k, v in changes.items() if k in BOT_FIELDS}
    person_values = {k: v for k, v in changes.items() if k in PERSON_SIDE_FIELDS}
    if person_values.get("security_key", current.security_key) != current.security_key:
        # Tokens issued with the old key stop working, whoever rotated it (API, UI, workspace).
        await revoke_tokens(session, person_id)
    if "name" in bot_values:
        person_values["first_name"] = bot_values["name"]
    if person_values:
        await session.execute(
            update(PersonRow).where(PersonRow.id == person_id).values(person_values)
        )
    await session.execute(
        update(BotRow)
        .where(BotRow.person_id == person_id)
        .values(version=BotRow.version + 1, **bot_values)
    )
    await bump_directory_version(session)
    session.expire_all()
    return await get_bot(session, person_id)


async def delete_bot(session: AsyncSession, person_id: int) -> BotRecord | None:
    """Fire and disable a bot (Pyrus keeps fired bots in ``GET /bots?include_fired=true``)."""
    return await update_bot(session, person_id, fired=True, enabled=False)
