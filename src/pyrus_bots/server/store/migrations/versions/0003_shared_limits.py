"""shared limits: API rate windows and bot call slots, shared by every process of a deployment

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_rate_windows",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("started", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_api_rate_windows")),
    )
    op.create_index("ix_api_rate_windows_started", "api_rate_windows", ["started"])
    op.create_table(
        "bot_call_slots",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("free_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "slot", name=op.f("pk_bot_call_slots")),
    )
    # The free slot longest free is found by an index scan, not a sort of every slot.
    op.create_index("ix_bot_call_slots_bot_free", "bot_call_slots", ["bot_id", "free_at"])


def downgrade() -> None:
    op.drop_index("ix_bot_call_slots_bot_free", table_name="bot_call_slots")
    op.drop_table("bot_call_slots")
    op.drop_index("ix_api_rate_windows_started", table_name="api_rate_windows")
    op.drop_table("api_rate_windows")
