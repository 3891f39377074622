"""The initial schema: organisation, people, bots, roles, forms, catalogs, tasks, files, tokens.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from models: a migration must not change later.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "files",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("guid", name=op.f("uq_files_guid")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "task_id_sequence",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_id_sequence")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("form_id", sa.BigInteger(), nullable=True),
        sa.Column("current_step", sa.Integer(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("responsible_id", sa.BigInteger(), nullable=True),
        sa.Column("create_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("close_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_note_id", sa.BigInteger(), nullable=True),
        sa.Column("doc", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_author_id"), "tasks", ["author_id"])
    op.create_index(op.f("ix_tasks_create_date"), "tasks", ["create_date"])
    op.create_index("ix_tasks_form_state", "tasks", ["form_id", "is_closed", "current_step"])
    op.create_index(op.f("ix_tasks_last_modified_date"), "tasks", ["last_modified_date"])

    op.create_table(
        "catalogs",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("headers", JSON_DOC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_catalogs_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs")),
    )
    op.create_index(op.f("ix_catalogs_organization_id"), "catalogs", ["organization_id"])

    op.create_table(
        "comments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("create_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_comments_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_task_id"), "comments", ["task_id"])

    op.create_table(
        "forms",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("definition", JSON_DOC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_forms_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
    )
    op.create_index(op.f("ix_forms_organization_id"), "forms", ["organization_id"])

    op.create_table(
        "people",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("login", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("department_name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=100), nullable=True),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("security_key", sa.String(length=500), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_people_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("login", name=op.f("uq_people_login")),
    )
    op.create_index(op.f("ix_people_organization_id"), "people", ["organization_id"])

    op.create_table(
        "roles",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_roles_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
    )
    op.create_index(op.f("ix_roles_organization_id"), "roles", ["organization_id"])

    op.create_table(
        "task_people",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_people_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "person_id", "kind", name=op.f("pk_task_people")),
    )
    op.create_index("ix_task_people_person_kind", "task_people", ["person_id", "kind", "task_id"])

    op.create_table(
        "bots",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hook_url", sa.Text(), nullable=True),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("send_only_last_comment", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(length=20), nullable=True),
        sa.Column("time_zone_offset", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_bots_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_bots")),
    )
    op.create_table(
        "catalog_items",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("catalog_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("values", JSON_DOC, nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs.id"],
            name=op.f("fk_catalog_items_catalog_id_catalogs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("catalog_id", "key", name=op.f("uq_catalog_items_catalog_id")),
    )
    op.create_index(op.f("ix_catalog_items_catalog_id"), "catalog_items", ["catalog_id"])

    op.create_table(
        "form_people",
        sa.Column("form_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_form_people_form_id_forms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("form_id", "person_id", "kind", name=op.f("pk_form_people")),
    )
    op.create_index(op.f("ix_form_people_person_id"), "form_people", ["person_id"])

    op.create_table(
        "person_rights",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("right", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_person_rights_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "right", name=op.f("pk_person_rights")),
    )
    op.create_table(
        "role_members",
        sa.Column("role_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_role_members_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_role_members_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_id", "person_id", name=op.f("pk_role_members")),
    )
    op.create_index(op.f("ix_role_members_person_id"), "role_members", ["person_id"])

    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_tokens_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_tokens")),
    )
    op.create_index(op.f("ix_tokens_person_id"), "tokens", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tokens_person_id"), table_name="tokens")

    op.drop_table("tokens")
    op.drop_index(op.f("ix_role_members_person_id"), table_name="role_members")

    op.drop_table("role_members")
    op.drop_table("person_rights")
    op.drop_index(op.f("ix_form_people_person_id"), table_name="form_people")

    op.drop_table("form_people")
    op.drop_index(op.f("ix_catalog_items_catalog_id"), table_name="catalog_items")

    op.drop_table("catalog_items")
    op.drop_table("bots")
    op.drop_index("ix_task_people_person_kind", table_name="task_people")

    op.drop_table("task_people")
    op.drop_index(op.f("ix_roles_organization_id"), table_name="roles")

    op.drop_table("roles")
    op.drop_index(op.f("ix_people_organization_id"), table_name="people")

    op.drop_table("people")
    op.drop_index(op.f("ix_forms_organization_id"), table_name="forms")

    op.drop_table("forms")
    op.drop_index(op.f("ix_comments_task_id"), table_name="comments")

    op.drop_table("comments")
    op.drop_index(op.f("ix_catalogs_organization_id"), table_name="catalogs")

    op.drop_table("catalogs")
    op.drop_index(op.f("ix_tasks_last_modified_date"), table_name="tasks")
    op.drop_index("ix_tasks_form_state", table_name="tasks")
    op.drop_index(op.f("ix_tasks_create_date"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_author_id"), table_name="tasks")

    op.drop_table("tasks")
    op.drop_table("task_id_sequence")
    op.drop_table("organizations")
    op.drop_table("files")
    op.drop_table("counters")
