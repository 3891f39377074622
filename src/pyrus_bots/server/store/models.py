"""The platform's tables (SQLAlchemy 2 declarative models).

One schema for SQLite and PostgreSQL. Person ids are shared by users and bots (a bot is a
``people`` row of type ``bot`` plus a ``bots`` row); roles live in the same id space by
convention of the workspace file. Forms keep their definition as a JSON document so that fields
added to the domain dataclasses survive; tasks keep the whole ``TaskState`` as a JSON document
with a few indexed columns for queries. ``task_people`` indexes who may see a task and whose inbox
holds it, so access and inbox queries never read task documents.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from pyrus_bots.server.store.secrets import SealedSecret

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids use INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(500))


class PersonRow(Base):
    """A user or a bot. ``login`` is the lower-cased e-mail (users) or ``bot@...`` (bots)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id"), index=True
    )
    type: Mapped[str] = mapped_column(String(10), default="user")
    email: Mapped[str] = mapped_column(String(320))
    login: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str | None] = mapped_column(String(200))
    department_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(100))
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    fired: Mapped[bool] = mapped_column(Boolean, default=False)
    # A bot's key signs webhooks (HMAC), so it is sealed, not hashed (``store.secrets``); a
    # person's key is kept as its SHA-256 only (``key_hash``).
    security_key: Mapped[str | None] = mapped_column("sealed_key", SealedSecret())
    key_hash: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Emptied by migration 0008; kept so the schema and the models stay one.
    legacy_security_key: Mapped[str | None] = mapped_column("security_key", String(500))
    external_id: Mapped[str | None] = mapped_column(String(200))


class PersonRight(Base):
    __tablename__ = "person_rights"

    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    right: Mapped[str] = mapped_column(String(100), primary_key=True)


class PersonDetailsRow(Base):
    """The Person keys of the API beyond the ``people`` columns (status, native names, avatar,
    messenger, session settings...), in their Pyrus spelling; only keys with a value."""

    __tablename__ = "person_details"

    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class BotRow(Base):
    __tablename__ = "bots"

    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    hook_url: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    send_only_last_comment: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(20))
    time_zone_offset: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class RoleRow(Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(200))
    fired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Deleted (``DELETE /roles/{id}``): kept for the tasks that name it."""


class RoleMember(Base):
    __tablename__ = "role_members"

    role_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FormRow(Base):
    """A form template; ``definition`` is the serialised ``FormDef`` (fields, steps, people)."""

    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    version: Mapped[int] = mapped_column(Integer, default=1)


class FormPerson(Base):
    """Index of a form's managers and members (kind ``manager`` / ``member``)."""

    __tablename__ = "form_people"

    form_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("forms.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)


class CatalogRow(Base):
    __tablename__ = "catalogs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organizations.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    headers: Mapped[list[str]] = mapped_column(JsonDoc)
    """A JSON list of column names."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(200))


class CatalogItemRow(Base):
    """An item; ``key`` is its first column, by which sync and diff match items."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("catalog_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    catalog_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("catalogs.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(Text)
    values: Mapped[list[str]] = mapped_column(JsonDoc)
    """A JSON list of strings, one per header."""
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_form_state", "form_id", "is_closed", "current_step"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    form_id: Mapped[int | None] = mapped_column(BigInteger)
    current_step: Mapped[int | None] = mapped_column(Integer)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int] = mapped_column(BigInteger, index=True)
    responsible_id: Mapped[int | None] = mapped_column(BigInteger)
    create_date: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    close_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_note_id: Mapped[int | None] = mapped_column(BigInteger)
    doc: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    """The serialised ``TaskState`` (see ``store.codec``)."""
    rendering: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """The task as ``GET /v4/tasks/{id}`` renders it (JSON), cleared by every task write."""
    rendering_key: Mapped[str | None] = mapped_column(Text, deferred=True)
    """What the rendering also depends on: the directory version and the files URL."""


class TaskIdSequence(Base):
    """Hands out task ids: an auto-increment (a sequence on PostgreSQL, so never contended)."""

    __tablename__ = "task_id_sequence"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


class TaskPerson(Base):
    """Who a task concerns. Kinds: ``involved`` (ever took part; only grows) and ``inbox``."""

    __tablename__ = "task_people"
    __table_args__ = (Index("ix_task_people_person_kind", "person_id", "kind", "task_id"),)

    task_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(BigInteger)
    create_date: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class FileRow(Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    root_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    """The first version of the file this one is a newer version of (None: a first version)."""


class FileChunkRow(Base):
    """A file's bytes, in pieces of ``store.files.CHUNK_BYTES``: uploads and downloads stream
    one piece at a time, and the ``files`` table stays small (its rows are read per request)."""

    __tablename__ = "file_chunks"

    file_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class FileHolderRow(Base):
    """What holds a file (kind ``task``: the task or one of its comments); who may see a
    holder may read the file (see ``tasks.file_access``). Rows only grow."""

    __tablename__ = "file_holders"

    file_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    holder_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class TokenRow(Base):
    """An API token; only the SHA-256 hex of the token is stored."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    expires: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Counter(Base):
    """Named counters: the directory version, generated person ids, lock rows on SQLite."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# --- Task lists and announcements (spec 4.7) ---


class TaskListRow(Base):
    """A task list (a Pyrus "project"). Deleting one only marks it, for ``with_deleted``."""

    __tablename__ = "task_lists"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(BigInteger, index=True)
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(1000))
    color: Mapped[str | None] = mapped_column(String(50))
    list_type: Mapped[str] = mapped_column(String(20), default="org_wide")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    external_id: Mapped[int | None] = mapped_column(BigInteger)
    external_version: Mapped[int | None] = mapped_column(BigInteger)
    manager_ids: Mapped[list[int]] = mapped_column(JsonDoc)
    member_ids: Mapped[list[int]] = mapped_column(JsonDoc)


class TaskListTask(Base):
    """Which tasks a list holds (mirrors each task's ``list_ids``, for list queries)."""

    __tablename__ = "task_list_tasks"

    list_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AnnouncementRow(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger, index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    create_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    """``text``, ``formatted_text`` and ``attachments`` (file ids)."""


class AnnouncementCommentRow(Base):
    __tablename__ = "announcement_comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    announcement_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(BigInteger)
    create_date: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class UISessionRow(Base):
    """A signed-in web UI session (the cookie holds its id; only the id's SHA-256 is kept)."""

    __tablename__ = "ui_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    expires: Mapped[datetime] = mapped_column(UTCDateTime())


class SignInFailureRow(Base):
    """Failed sign-ins of one account or one client address, for throttling."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkspaceAppliedRow(Base):
    """The digest of each value a workspace file last wrote (``workspace.apply``)."""

    __tablename__ = "workspace_applied"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    digest: Mapped[str] = mapped_column(String(200))
