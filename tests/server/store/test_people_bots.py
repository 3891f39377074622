"""People, roles, credentials and bots (login format, keys, the 100-bot limit)."""

from __future__ import annotations

import asyncio
import re

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import bots, people
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import directory_version
from pyrus_bots.server.store.secrets import security_key_digest

LOGIN = re.compile(r"^bot@[0-9a-f]{20}$")


async def test_people_and_rights_from_the_workspace(seeded: Database) -> None:
    async with seeded.session() as s:
        alice = await people.get_person(s, 1001)
        assert alice is not None and alice.email == "alice@full.test"
        assert alice.rights == {"manage_integrations_and_catalogs", "manage_roles"}
        assert alice.position == "CEO" and alice.type == "user"
        everyone = await people.list_people(s)
        assert [p.id for p in everyone] == [1001, 1002, 1003, 2001, 2002]
        humans = await people.list_people(s, include_bots=False)
        assert [p.id for p in humans] == [1001, 1002, 1003]
        assert (await people.find_person_by_login(s, "BOB@full.test")) is not None
        assert await people.get_organization(s) == (7, "Full Example Ltd")
        assert await people.get_person(s, 424242) is None


async def test_credentials_for_people_and_bots(seeded: Database) -> None:
    async with seeded.session() as s:
        found = await people.find_credentials(s, " Alice@Full.test ")
        assert found is not None and found[0].id == 1001
        assert found[1] == security_key_digest("alice-key")
        bot = await people.find_credentials(s, "bot@0123456789abcdef0123")
        assert bot is not None and bot[0].type == "bot"
        assert bot[1] == security_key_digest("accountant-secret")
        assert await people.find_credentials(s, "carol@full.test") is None  # no key: no login
        assert await people.find_credentials(s, "nobody@full.test") is None


async def test_create_and_update_people(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        version = await directory_version(s)
        dave = await people.create_person(
            s, None, email="Dave@full.test", first_name="Dave", rights=["manage_roles"]
        )
        assert dave.id > 3002  # above every id in the shared id space
        assert await directory_version(s) > version
        with pytest.raises(PyrusError) as error:
            await people.create_person(s, None, email="dave@FULL.test")
        assert error.value.code == "non_unique_email"
        changed = await people.update_person(s, dave.id, last_name="Doe", rights=[], fired=True)
        assert changed is not None and changed.last_name == "Doe" and changed.fired
        assert changed.rights == frozenset()
        assert await people.update_person(s, 999999, last_name="x") is None
    async with seeded.session() as s:
        active = await people.list_people(s, include_fired=False)
        assert dave.id not in [p.id for p in active]


async def test_roles(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        managers = await people.get_role(s, 3001)
        assert managers is not None and managers.member_ids == [1001, 1002]
        created = await people.create_role(s, None, "Night shift", [1003])
        updated = await people.update_role(
            s, created.id, name="Day shift", member_add=[1001], member_remove=[1003]
        )
        assert updated is not None and updated.name == "Day shift"
        assert updated.member_ids == [1001]
        roles = await people.list_roles(s)
        assert [r.id for r in roles] == [3001, 3002, created.id]
        assert await people.update_role(s, 999999, name="x") is None
        with pytest.raises(PyrusError) as error:
            await people.update_role(s, created.id, member_add=[424242])
        assert error.value.code == "invalid_person_id"


async def test_bots_from_the_workspace(seeded: Database) -> None:
    async with seeded.session() as s:
        listed = await bots.list_bots(s)
        assert [b.person_id for b in listed] == [2001, 2002]
        checker = listed[0]
        assert LOGIN.match(checker.login) and len(checker.security_key) >= 32
        accountant = await bots.get_bot(s, 2002)
        assert accountant is not None and accountant.login == "bot@0123456789abcdef0123"
        assert accountant.settings == '{"threshold": 500}'
        assert accountant.send_only_last_comment and accountant.time_zone_offset == 180
        assert accountant.hook_url == "http://127.0.0.1:5002/"
        assert await bots.get_bot(s, 1001) is None  # a person, not a bot


async def test_create_update_and_delete_a_bot(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        bot = await bots.create_bot(s, None, "Greeter", hook_url="http://127.0.0.1:9/")
        assert LOGIN.match(bot.login) and bot.security_key and bot.version == 1
        assert bot.enabled and not bot.fired and bot.organization_id == 7
        person = await people.get_person(s, bot.person_id)
        assert person is not None and person.type == "bot" and person.email == bot.login
        other = await bots.create_bot(s, None, "Echo")
        assert other.login != bot.login and other.security_key != bot.security_key
        updated = await bots.update_bot(
            s, bot.person_id, settings="x=1", enabled=False, name="Greeter 2"
        )
        assert updated is not None and updated.version == 2 and updated.settings == "x=1"
        assert updated.name == "Greeter 2" and not updated.enabled
        with pytest.raises(TypeError):
            await bots.update_bot(s, bot.person_id, login="bot@x")
        fired = await bots.delete_bot(s, bot.person_id)
        assert fired is not None and fired.fired and not fired.enabled
        assert bot.person_id not in [b.person_id for b in await bots.list_bots(s)]
        all_bots = await bots.list_bots(s, include_fired=True)
        assert bot.person_id in [b.person_id for b in all_bots]
        with pytest.raises(PyrusError) as error:
            await bots.create_bot(s, None, "Copy", login=other.login)
        assert error.value.code == "non_unique_email"


async def test_at_most_100_active_bots(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        for number in range(98):  # full.yaml has 2
            await bots.create_bot(s, None, f"Bot {number}")
        with pytest.raises(PyrusError) as error:
            await bots.create_bot(s, None, "One too many")
        assert error.value.code == "limit_exceeded" and error.value.status == 400
        # firing one makes room again
        await bots.delete_bot(s, 2001)
        again = await bots.create_bot(s, None, "Replacement")
        assert again.person_id > 0
        assert await bots.count_active_bots(s, 7) == 100


async def test_the_bot_limit_holds_under_concurrent_creation(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        for number in range(95):
            await bots.create_bot(s, None, f"Bot {number}")

    async def create(number: int) -> bool:
        try:
            async with seeded.session() as s, s.begin():
                await bots.create_bot(s, None, f"Racer {number}")
        except PyrusError as error:
            assert error.code == "limit_exceeded"
            return False
        return True

    results = await asyncio.gather(*(create(n) for n in range(8)))
    assert results.count(True) == 3
    async with seeded.session() as s:
        assert await bots.count_active_bots(s, 7) == 100
