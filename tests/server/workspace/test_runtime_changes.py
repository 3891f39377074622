"""Loading the workspace again (a restart with ``--workspace``) keeps what changed at run time:
a reset bot key, a new hook URL, a password reset. Editing a field in the file makes the file
win again for that field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from pyrus_bots.server.store import bots, people
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.models import PersonRow
from pyrus_bots.server.store.passwords import hash_password, password_matches
from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

from .samples import MINIMAL


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


async def _load(database: Database, path: Path) -> list[str]:
    async with database.session() as s, s.begin():
        return list(await apply_workspace(s, load_workspace_file(path)))


async def _password_hash(database: Database, person_id: int) -> str | None:
    async with database.session() as s:
        return await s.scalar(select(PersonRow.password_hash).where(PersonRow.id == person_id))


async def test_a_restart_keeps_a_rotated_key_and_a_new_hook_url(
    database: Database, tmp_path: Path
) -> None:
    data = copy.deepcopy(MINIMAL)
    data["people"][0]["password"] = "alice-file-password"
    path = _write(tmp_path, data)
    await _load(database, path)
    async with database.session() as s, s.begin():
        await bots.update_bot(s, 2001, security_key="rotated-at-run-time", hook_url="http://new/")
        await people.set_password_hash(s, 1001, hash_password("reset-by-admin"))

    assert await _load(database, path) == []  # the same file: nothing is reverted
    async with database.session() as s:
        bot = await bots.get_bot(s, 2001)
    assert bot is not None
    assert (bot.security_key, bot.hook_url) == ("rotated-at-run-time", "http://new/")
    stored = await _password_hash(database, 1001)
    assert stored is not None and password_matches(stored, "reset-by-admin")

    data["bots"][0]["hook_url"] = "http://edited-in-the-file/"
    await _load(database, _write(tmp_path, data))
    async with database.session() as s:
        bot = await bots.get_bot(s, 2001)
    assert bot is not None and bot.hook_url == "http://edited-in-the-file/"
    assert bot.security_key == "rotated-at-run-time"  # the file's old key never comes back

    data["people"][0]["password"] = "a-new-file-password"
    await _load(database, _write(tmp_path, data))
    stored = await _password_hash(database, 1001)
    assert stored is not None and password_matches(stored, "a-new-file-password")


async def test_a_bot_deleted_at_run_time_stays_deleted(database: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, copy.deepcopy(MINIMAL))
    await _load(database, path)
    async with database.session() as s, s.begin():
        await bots.delete_bot(s, 2001)
    await _load(database, path)
    async with database.session() as s:
        bot = await bots.get_bot(s, 2001)
    assert bot is not None and bot.fired and not bot.enabled
