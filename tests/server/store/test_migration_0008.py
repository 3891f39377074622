"""Migration 0008 on a database written before it: people's keys become SHA-256 digests and
bots' keys are sealed when the server starts; both still sign in."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, Text, select, text, type_coerce

from pyrus_bots.server.store import people
from pyrus_bots.server.store.db import Database, alembic_config
from pyrus_bots.server.store.models import PersonRow
from pyrus_bots.server.store.secrets import digests_match, security_key_digest

ROWS = """
INSERT INTO organizations (id, name) VALUES (1, 'Acme');
INSERT INTO people (id, organization_id, type, email, login, first_name, last_name, banned,
  fired, security_key) VALUES
  (1001, 1, 'user', 'a@acme.test', 'a@acme.test', 'A', '', false, false, 'person-key'),
  (2001, 1, 'bot', 'bot@1', 'bot@1', 'B', '', false, false, 'bot-key');
"""


def _upgrade_to_0007(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "0007")


async def test_keys_written_before_0008_are_hashed_and_sealed(db_url: str) -> None:
    database = Database(db_url)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(_upgrade_to_0007)
            for statement in filter(str.strip, ROWS.split(";")):
                await conn.execute(text(statement))
        await database.migrate()
        async with database.session() as s:
            table = PersonRow.__table__
            raw = await s.execute(
                select(
                    table.c.id,
                    table.c.security_key,
                    table.c.key_hash,
                    type_coerce(table.c.sealed_key, Text).label("sealed"),
                ).order_by(table.c.id)
            )
            person, bot = raw.all()
            assert person.security_key is None and person.sealed is None
            assert person.key_hash == security_key_digest("person-key")
            assert bot.security_key is None and bot.sealed.startswith("fernet:")
            assert "bot-key" not in bot.sealed
            found = await people.find_credentials(s, "a@acme.test")
            assert found is not None and digests_match("person-key", found[1])
            found_bot = await people.find_credentials(s, "bot@1")
            assert found_bot is not None and digests_match("bot-key", found_bot[1])
    finally:
        await database.dispose()
