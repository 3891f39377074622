"""Fixtures of the store tests: a migrated database with a workspace applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

FULL_WORKSPACE = Path(__file__).parents[2] / "fixtures" / "workspaces" / "full.yaml"


@pytest.fixture
async def seeded(database: Database) -> Database:
    """``database`` holding ``tests/fixtures/workspaces/full.yaml`` (organisation 7)."""
    workspace = load_workspace_file(FULL_WORKSPACE)
    async with database.session() as session, session.begin():
        await apply_workspace(session, workspace)
    return database
