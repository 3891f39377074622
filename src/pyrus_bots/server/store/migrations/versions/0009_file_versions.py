"""file versions: an index on files.root_id, to find a file's versions (``root_id`` on a
NewFile makes a new version of an attached file)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_files_root_id", "files", ["root_id"])


def downgrade() -> None:
    op.drop_index("ix_files_root_id", table_name="files")
