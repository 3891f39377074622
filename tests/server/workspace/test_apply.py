"""Applying a workspace: idempotent loads, updates in place, conflicts, concurrent starts."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, text

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import bots, people, tokens
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.models import Base
from pyrus_bots.server.store.secrets import security_key_digest
from pyrus_bots.server.workspace import WorkspaceError, apply_workspace, load_workspace_file

from .samples import MINIMAL, WORKSPACES


async def row_counts(database: Database) -> dict[str, int]:
    counts = {}
    async with database.session() as s:
        for name, table in Base.metadata.tables.items():
            counts[name] = int(
                (await s.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return counts


async def snapshot(database: Database) -> dict[str, Any]:
    async with database.session() as s:
        listed = await bots.list_bots(s, include_fired=True)
        everyone = await people.list_people(s)
        roles = await people.list_roles(s)
    return {
        "bots": [(b.person_id, b.login, b.security_key, b.version) for b in listed],
        "people": [(p.id, p.email, p.first_name, sorted(p.rights)) for p in everyone],
        "roles": [(r.id, r.name, r.member_ids) for r in roles],
    }


async def apply_file(database: Database, path: Path) -> list[str]:
    workspace = load_workspace_file(path)
    async with database.session() as s, s.begin():
        return list(await apply_workspace(s, workspace))


async def test_loading_twice_changes_nothing(database: Database) -> None:
    full = WORKSPACES / "full.yaml"
    first = await apply_file(database, full)
    assert "bot 2001 created" in first and "form 321" in first
    counts, state = await row_counts(database), await snapshot(database)
    async with database.session() as s:
        version = int(
            (
                await s.execute(text("SELECT value FROM counters WHERE name = 'directory_version'"))
            ).scalar_one()
        )
    assert await apply_file(database, full) == []
    assert await row_counts(database) == counts
    assert await snapshot(database) == state  # generated login and key of bot 2001 kept
    async with database.session() as s:
        again = int(
            (
                await s.execute(text("SELECT value FROM counters WHERE name = 'directory_version'"))
            ).scalar_one()
        )
    assert again == version
    assert counts["people"] == 5 and counts["bots"] == 2 and counts["catalog_items"] == 5


async def test_a_changed_file_updates_in_place(database: Database, tmp_path: Path) -> None:
    await apply_file(database, WORKSPACES / "minimal.yaml")
    before = await snapshot(database)
    async with database.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=600, now=_now())
    data = copy.deepcopy(MINIMAL)
    data["people"][0]["first_name"] = "Alicia"
    data["people"][0]["security_key"] = "new-key"
    data["catalogs"][0]["items"].append(["CC3", "Research"])
    data["forms"][0]["steps"][1]["approvers"] = ["alice@acme.test", 3001]
    changed = tmp_path / "acme.yaml"
    changed.write_text(yaml.safe_dump(data))
    lines = await apply_file(database, changed)
    assert sorted(lines) == ["form 321", "items of catalog 4001", "person 1001 updated"]
    after = await snapshot(database)
    assert after["bots"] == before["bots"]
    assert after["people"][0][2] == "Alicia"
    async with database.session() as s:
        with pytest.raises(PyrusError) as error:  # a key change revokes tokens, as in Pyrus
            await tokens.resolve_token(s, token, _now())
        assert error.value.code == "revoked_token"
        found = await people.find_credentials(s, "alice@acme.test")
        assert found is not None and found[1] == security_key_digest("new-key")


def _now() -> datetime:
    return datetime.now(UTC)


async def test_bots_created_through_the_api_survive_a_reload(database: Database) -> None:
    await apply_file(database, WORKSPACES / "minimal.yaml")
    async with database.session() as s, s.begin():
        extra = await bots.create_bot(s, None, "Made by API")
    assert await apply_file(database, WORKSPACES / "minimal.yaml") == []
    async with database.session() as s:
        assert await bots.get_bot(s, extra.person_id) == extra


async def test_a_file_conflicting_with_the_database_is_refused(
    database: Database, tmp_path: Path
) -> None:
    await apply_file(database, WORKSPACES / "minimal.yaml")
    data = copy.deepcopy(MINIMAL)
    data["people"].append({"id": 1002, "email": "bob@acme.test"})
    data["people"][0]["id"] = 1003  # alice's e-mail now under another id
    data["roles"][0]["members"] = [1003]
    data["forms"][0]["steps"][1]["approvers"] = [1003]
    path = tmp_path / "conflict.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(WorkspaceError) as error:
        await apply_file(database, path)
    assert (
        str(error.value) == f"{path}: people[0].email: already used by person 1001 in the database"
    )


async def test_concurrent_starts_in_one_process(database: Database) -> None:
    """Several servers starting at once: migrate and apply in parallel, one result."""
    others = [Database(database.url) for _ in range(3)]
    workspace = load_workspace_file(WORKSPACES / "full.yaml")

    async def start(db: Database) -> None:
        await db.migrate()
        async with db.session() as s, s.begin():
            await apply_workspace(s, workspace)

    try:
        await asyncio.gather(*(start(db) for db in others))
    finally:
        for db in others:
            await db.dispose()
    counts = await row_counts(database)
    assert counts["people"] == 5 and counts["bots"] == 2 and counts["forms"] == 2
    assert await apply_file(database, WORKSPACES / "full.yaml") == []


START_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pyrus_bots.server.store.db import Database
    from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

    async def main() -> None:
        db = Database(sys.argv[1])
        await db.migrate()
        workspace = load_workspace_file(sys.argv[2])
        async with db.session() as s, s.begin():
            await apply_workspace(s, workspace)
        await db.dispose()

    asyncio.run(main())
    """
)


def test_concurrent_starts_in_separate_processes(db_url: str) -> None:
    """Two processes migrate an empty database and load the workspace at the same moment."""
    full = str(WORKSPACES / "full.yaml")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START_SCRIPT, db_url, full],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=90)
        assert process.returncode == 0, err.decode()

    async def check() -> None:
        database = Database(db_url)
        try:
            counts = await row_counts(database)
            assert counts["people"] == 5 and counts["bots"] == 2 and counts["catalog_items"] == 5
            assert await apply_file(database, WORKSPACES / "full.yaml") == []
        finally:
            await database.dispose()

    asyncio.run(check())
