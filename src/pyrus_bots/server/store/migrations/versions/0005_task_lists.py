"""task lists, the tasks each list holds, announcements and their comments

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pyrus_bots.server.store.models import BigId, JsonDoc, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_lists",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("color", sa.String(50), nullable=True),
        sa.Column("list_type", sa.String(20), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("external_id", sa.BigInteger(), nullable=True),
        sa.Column("external_version", sa.BigInteger(), nullable=True),
        sa.Column("manager_ids", JsonDoc, nullable=False),
        sa.Column("member_ids", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task_lists"),
    )
    op.create_index("ix_task_lists_organization_id", "task_lists", ["organization_id"])
    op.create_table(
        "task_list_tasks",
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name="fk_task_list_tasks_task_id_tasks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "task_id", name="pk_task_list_tasks"),
    )
    op.create_index("ix_task_list_tasks_task_id", "task_list_tasks", ["task_id"])
    op.create_table(
        "announcements",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("create_date", UTCDateTime(), nullable=False),
        sa.Column("last_modified_date", UTCDateTime(), nullable=False),
        sa.Column("body", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_index("ix_announcements_organization_id", "announcements", ["organization_id"])
    op.create_table(
        "announcement_comments",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("announcement_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("create_date", UTCDateTime(), nullable=False),
        sa.Column("body", JsonDoc, nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name="fk_announcement_comments_announcement_id_announcements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_announcement_comments"),
    )
    op.create_index(
        "ix_announcement_comments_announcement_id",
        "announcement_comments",
        ["announcement_id"],
    )


def downgrade() -> None:
    op.drop_table("announcement_comments")
    op.drop_table("announcements")
    op.drop_table("task_list_tasks")
    op.drop_table("task_lists")
