"""file bytes in chunk rows, what holds each file, attempt bodies kept as digest plus excerpt

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The bytes wait in a table without foreign keys while ``files`` loses its column: on
    # SQLite that rebuilds ``files``, and dropping the old copy would cascade into any table
    # that referenced it.
    op.create_table(
        "file_chunks_moving",
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.execute(
        "INSERT INTO file_chunks_moving (file_id, data) SELECT id, content FROM files"
        " WHERE size > 0"
    )
    with op.batch_alter_table("files") as batch:
        batch.drop_column("content")
    op.create_table(
        "file_chunks",
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_file_chunks_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_file_chunks")),
    )
    op.execute(
        "INSERT INTO file_chunks (file_id, seq, data) SELECT file_id, 0, data"
        " FROM file_chunks_moving"
    )
    op.drop_table("file_chunks_moving")
    op.create_table(
        "file_holders",
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("holder_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_file_holders_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "kind", "holder_id", name=op.f("pk_file_holders")),
    )
    _record_task_holders(op.get_bind())
    op.add_column("delivery_attempts", sa.Column("request_size", sa.BigInteger(), nullable=True))
    op.add_column(
        "delivery_attempts", sa.Column("request_sha256", sa.String(length=64), nullable=True)
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _record_task_holders(bind: sa.Connection) -> None:
    """Files already on tasks (attachments, file fields, file cells of tables) get their task
    as holder, so the people who saw them keep seeing them."""
    field_types: dict[int, str] = {}
    for definition in bind.execute(sa.text("SELECT definition FROM forms")).scalars():
        for field in _json(definition).get("fields", []):
            field_types[int(field["id"])] = str(field.get("type"))
    known = set(bind.execute(sa.text("SELECT id FROM files")).scalars())
    holders: set[tuple[int, int]] = set()
    for task_id, doc in bind.execute(sa.text("SELECT id, doc FROM tasks")):
        for file_id in _files_of(_json(doc), field_types):
            if file_id in known:
                holders.add((file_id, int(task_id)))
    if holders:
        bind.execute(
            sa.text("INSERT INTO file_holders (file_id, kind, holder_id) VALUES (:f, 'task', :t)"),
            [{"f": f, "t": t} for f, t in sorted(holders)],
        )


def _files_of(doc: dict[str, Any], field_types: dict[int, str]) -> Iterable[int]:
    yield from (int(i) for i in doc.get("attachment_ids") or [])
    for key, value in (doc.get("fields") or {}).items():
        kind = field_types.get(int(key))
        if kind == "file" and isinstance(value, list):
            yield from (int(i) for i in value)
        elif kind == "table" and isinstance(value, list):
            for row in value:
                for column, cell in (row.get("cells") or {}).items():
                    if field_types.get(int(column)) == "file" and isinstance(cell, list):
                        yield from (int(i) for i in cell)


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.drop_column("request_sha256")
        batch.drop_column("request_size")
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    op.drop_table("file_holders")
    op.drop_table("file_chunks")
