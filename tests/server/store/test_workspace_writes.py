"""Row upserts of the workspace loader: created once, unchanged when equal, updated in place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import bots, tokens
from pyrus_bots.server.store import workspace_writes as writes
from pyrus_bots.server.store.catalogs import get_catalog
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.people import get_person, get_role
from pyrus_bots.server.store.secrets import security_key_digest as digest
from pyrus_bots.server.store.workspace_writes import Account, Saved

PERSON = {"organization_id": 7, "type": "user", "email": "dan@full.test", "login": "dan@full.test"}


async def test_accounts_logins_and_rights(seeded: Database) -> None:
    async with seeded.session() as s:
        assert await writes.get_account(s, 2002) == Account(
            id=2002, type="bot", login="bot@0123456789abcdef0123", security_key="accountant-secret"
        )
        assert await writes.get_account(s, 424242) is None
        assert await writes.login_owner(s, "alice@full.test") == 1001
        assert await writes.login_owner(s, "nobody@full.test") is None
        assert await writes.rights_of(s, 1001) == {
            "manage_integrations_and_catalogs",
            "manage_roles",
        }


async def test_a_person_is_created_then_left_alone_then_updated(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        assert await writes.save_person(s, 1004, PERSON) is Saved.CREATED
        assert await writes.save_person(s, 1004, PERSON) is Saved.UNCHANGED
        assert await writes.save_person(s, 1004, {**PERSON, "first_name": "Dan"}) is Saved.UPDATED
    async with seeded.session() as s:
        dan = await get_person(s, 1004)
        assert dan is not None and dan.first_name == "Dan" and dan.email == "dan@full.test"


async def test_a_new_security_key_revokes_tokens(seeded: Database) -> None:
    now = datetime.now(UTC)
    async with seeded.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=600, now=now)
        assert (
            await writes.save_person(s, 1001, {"key_hash": digest("alice-key")}) is Saved.UNCHANGED
        )
    async with seeded.session() as s:
        assert await tokens.resolve_token(s, token, now) == 1001
    async with seeded.session() as s, s.begin():
        assert await writes.save_person(s, 1001, {"key_hash": digest("rotated")}) is Saved.UPDATED
    async with seeded.session() as s:
        with pytest.raises(PyrusError):
            await tokens.resolve_token(s, token, now)


async def test_bots_are_saved_with_their_settings_row(seeded: Database) -> None:
    person = {**PERSON, "type": "bot", "login": "bot@abc", "email": "bot@abc", "security_key": "k"}
    values = {"name": "Extra", "hook_url": None, "settings": None}
    async with seeded.session() as s, s.begin():
        assert await writes.save_bot(s, 2003, person, values) is Saved.CREATED
        assert await writes.save_bot(s, 2003, person, values) is Saved.UNCHANGED
        renamed = {**values, "name": "Renamed"}
        assert await writes.save_bot(s, 2003, person, renamed) is Saved.UPDATED
        assert await writes.save_bot(s, 1001, person, values) is None
    async with seeded.session() as s:
        bot = await bots.get_bot(s, 2003)
        assert bot is not None and bot.name == "Renamed" and bot.version == 2


async def test_roles_and_catalogs(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        wanted = {"organization_id": 7, "name": "Managers", "banned": False}
        assert await writes.save_role_row(s, 3001, wanted) is Saved.UNCHANGED
        assert await writes.save_role_row(s, 3003, {**wanted, "name": "New"}) is Saved.CREATED
        assert await writes.restore_catalog(s, 4002, "Vendors", ["Vendor"]) is Saved.UNCHANGED
        assert await writes.restore_catalog(s, 4002, "Suppliers", ["Vendor"]) is Saved.UPDATED
        assert await writes.restore_catalog(s, 4999, "None", ["X"]) is None
    async with seeded.session() as s:
        role = await get_role(s, 3003)
        assert role is not None and role.name == "New" and role.member_ids == []
        catalog = await get_catalog(s, 4002)
        assert catalog is not None and catalog.name == "Suppliers" and catalog.version == 2
