"""a task's stored rendering: the JSON ``GET /v4/tasks/{id}`` answers, kept until the task
changes (cleared by every task write) or the directory moves on (the key no longer matches)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("rendering", sa.LargeBinary(), nullable=True))
    op.add_column("tasks", sa.Column("rendering_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("rendering_key")
        batch.drop_column("rendering")
