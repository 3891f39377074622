"""sign-in security: people's keys hashed, bots' keys sealed, passwords, UI sessions kept on the
server, sign-in failures counted, workspace values remembered

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("people", sa.Column("key_hash", sa.String(length=64), nullable=True))
    op.add_column("people", sa.Column("sealed_key", sa.Text(), nullable=True))
    op.add_column("people", sa.Column("password_hash", sa.String(length=200), nullable=True))
    people = sa.table(
        "people",
        sa.column("id", sa.BigInteger),
        sa.column("type", sa.String),
        sa.column("security_key", sa.String),
        sa.column("key_hash", sa.String),
        sa.column("sealed_key", sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(people.c.id, people.c.type, people.c.security_key).where(
            people.c.security_key.is_not(None)
        )
    ).all()
    for row in rows:
        # A person's key is only ever compared: its SHA-256 is enough (keys are random). A bot's
        # key signs webhooks: it moves as it is and is sealed when the server starts (it needs
        # the secrets key from the settings, which a migration does not have).
        if row.type == "bot":
            values = {"sealed_key": row.security_key}
        else:
            values = {"key_hash": hashlib.sha256(row.security_key.encode()).hexdigest()}
        connection.execute(
            sa.update(people).where(people.c.id == row.id).values(security_key=None, **values)
        )
    op.create_table(
        "ui_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("expires", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_ui_sessions")),
    )
    op.create_index(op.f("ix_ui_sessions_person_id"), "ui_sessions", ["person_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", STAMP, nullable=False),
        sa.Column("blocked_until", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    op.create_table(
        "workspace_applied",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workspace_applied")),
    )


def downgrade() -> None:
    op.drop_table("workspace_applied")
    op.drop_table("sign_in_failures")
    op.drop_index(op.f("ix_ui_sessions_person_id"), table_name="ui_sessions")
    op.drop_table("ui_sessions")
    op.drop_column("people", "password_hash")
    op.drop_column("people", "sealed_key")
    op.drop_column("people", "key_hash")
