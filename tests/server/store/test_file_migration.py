"""Migration 0007 on a database holding files: their bytes move into chunk rows, and the tasks
that already hold files become their holders (so who saw them keeps seeing them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.store.db import Database, alembic_config

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FORM = {
    "id": 5,
    "name": "F",
    "fields": [
        {"id": 1, "type": "file", "name": "Scan"},
        {"id": 2, "type": "table", "name": "Rows"},
        {"id": 3, "type": "file", "name": "Cell", "parent_id": 2},
    ],
}


async def test_upgrade_moves_bytes_and_records_holders(db_url: str) -> None:
    database = Database(db_url)
    try:
        async with database.engine.connect() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0006"))
            await conn.commit()
        json_param = "CAST(:doc AS JSONB)" if database.dialect == "postgresql" else ":doc"
        async with database.engine.begin() as conn:
            await conn.execute(text("INSERT INTO organizations (id, name) VALUES (1, 'O')"))
            await conn.execute(
                text(
                    "INSERT INTO forms (id, organization_id, name, deleted, definition, version)"
                    f" VALUES (5, 1, 'F', false, {json_param}, 1)"
                ),
                {"doc": json.dumps(FORM)},
            )
            for file_id, content in ((1, b"one"), (2, b"two"), (3, b"three"), (4, b"loose")):
                await conn.execute(
                    text(
                        "INSERT INTO files (id, guid, name, size, md5, content, created_by,"
                        " created_at, version) VALUES (:id, :guid, 'f', :size, '', :content,"
                        " 1001, :at, 1)"
                    ),
                    {
                        "id": file_id,
                        "guid": f"g{file_id}",
                        "size": len(content),
                        "content": content,
                        "at": NOW,
                    },
                )
            doc = {
                "attachment_ids": [1],
                "fields": {"1": [2], "2": [{"row_id": 0, "cells": {"3": [3]}}]},
            }
            await conn.execute(
                text(
                    "INSERT INTO tasks (id, form_id, current_step, is_closed, author_id,"
                    f" create_date, last_modified_date, doc) VALUES (77, 5, 1, false, 1001,"
                    f" :at, :at, {json_param})"
                ),
                {"at": NOW, "doc": json.dumps(doc)},
            )
        await database.migrate()
        async with database.session() as session:
            assert await file_store.read_content(session, 3) == b"three"
            assert await file_store.read_content(session, 4) == b"loose"
            facts = await file_store.access_facts(session, [1, 2, 3, 4])
        assert {f: facts[f].holders for f in facts} == {
            1: (("task", 77),),
            2: (("task", 77),),
            3: (("task", 77),),
            4: (),
        }
    finally:
        await database.dispose()
