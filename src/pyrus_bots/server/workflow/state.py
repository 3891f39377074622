"""The domain state the workflow engine works on: plain data, no I/O.

The store persists these objects and the API renders them as Pyrus JSON. Person references are
ids everywhere; rendering expands them. Field values are kept per field id in the stored form
described in ``workflow.values``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

PersonType = Literal["user", "bot", "role"]
ApprovalChoice = Literal["waiting", "approved", "rejected", "acknowledged", "revoked"]


@dataclass(slots=True)
class Person:
    """A person of the organisation: a user or a bot (bots are virtual users)."""

    id: int
    email: str
    first_name: str = ""
    last_name: str = ""
    type: PersonType = "user"
    rights: frozenset[str] = frozenset()
    position: str | None = None
    department_name: str | None = None
    phone: str | None = None
    banned: bool = False
    fired: bool = False
    external_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """The other keys of the API's Person object (status, native names, avatar, messenger,
    session settings...), in their Pyrus spelling; only keys with a value."""


@dataclass(slots=True)
class Role:
    id: int
    name: str
    member_ids: list[int] = field(default_factory=list)
    banned: bool = False
    external_id: str | None = None
    fired: bool = False
    """Deleted: no longer listed unless asked for, still named by the tasks that hold it."""


@dataclass(slots=True)
class ChoiceOption:
    id: int
    value: str
    deleted: bool = False


@dataclass(slots=True)
class FieldDef:
    """A field of a form template. Nested fields (title children, table columns, sub-fields of a
    multiple-choice option) carry parent_id; an option's sub-field also its ``option_id``."""

    id: int
    type: str
    name: str
    code: str | None = None
    parent_id: int | None = None
    required_step: int | None = None
    immutable_step: int | None = None
    options: list[ChoiceOption] = field(default_factory=list)
    catalog_id: int | None = None
    multiple_choice: bool = False
    decimal_places: int | None = None
    form_id: int | None = None
    multiline: bool = False
    text: str | None = None
    """The hint text of a ``note`` field."""
    option_id: int | None = None
    """For a sub-field of a multiple-choice option: that option's id (the field shows, and
    counts, only while the option is chosen)."""
    default: Any = None
    """The value ``fill_defaults`` writes into the empty field, in the write format."""


@dataclass(slots=True)
class StepDef:
    """An approval step; ``number`` is 1-based."""

    number: int
    name: str
    approver_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class FormDef:
    id: int
    name: str
    fields: list[FieldDef] = field(default_factory=list)
    steps: list[StepDef] = field(default_factory=list)
    manager_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)
    deleted: bool = False

    def field_by_id(self, field_id: int) -> FieldDef | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None


@dataclass(slots=True)
class CatalogItem:
    item_id: int
    values: list[str]
    deleted: bool = False


@dataclass(slots=True)
class Catalog:
    id: int
    name: str
    headers: list[str]
    items: list[CatalogItem] = field(default_factory=list)
    version: int = 1
    deleted: bool = False


@dataclass(slots=True)
class FileRef:
    """An uploaded file's metadata; its bytes live in the store."""

    id: int
    guid: str
    name: str
    size: int
    md5: str
    version: int = 1
    root_id: int | None = None


@dataclass(slots=True)
class Approval:
    person_id: int
    choice: ApprovalChoice = "waiting"


@dataclass(slots=True)
class TaskState:
    """A task, simple or form. ``approvals[0]`` is step 1; ``fields`` maps field id to value."""

    id: int
    author_id: int
    create_date: datetime
    last_modified_date: datetime
    text: str | None = None
    formatted_text: str | None = None
    subject: str | None = None
    close_date: datetime | None = None
    responsible_id: int | None = None
    participant_ids: list[int] = field(default_factory=list)
    subscribers: list[Approval] = field(default_factory=list)
    form_id: int | None = None
    current_step: int | None = None
    step_entered_at: list[datetime] = field(default_factory=list)
    """When the task entered each step (index 0 = step 1); steps[].elapsed_time derives from it."""
    is_closed: bool = False
    approvals: list[list[Approval]] = field(default_factory=list)
    fields: dict[int, Any] = field(default_factory=dict)
    due_date: date | None = None
    due: datetime | None = None
    duration: int | None = None
    scheduled_date: date | None = None
    scheduled_datetime_utc: datetime | None = None
    list_ids: list[int] = field(default_factory=list)
    attachment_ids: list[int] = field(default_factory=list)
    parent_task_id: int | None = None
    linked_task_ids: list[int] = field(default_factory=list)
    last_note_id: int | None = None
    spent_minutes: int = 0


@dataclass(slots=True)
class Comment:
    """A comment as stored: ``body`` holds the Pyrus comment keys with person, file and field
    references as ids (see ``workflow.render`` for the expansion). ``id`` is set by the store."""

    task_id: int
    author_id: int
    create_date: datetime
    body: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(slots=True)
class Directory:
    """What the engine may look up: a snapshot of the organisation taken by the caller."""

    organization_id: int
    organization_name: str
    people: dict[int, Person] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    forms: dict[int, FormDef] = field(default_factory=dict)
    catalogs: dict[int, Catalog] = field(default_factory=dict)
    files_by_guid: dict[str, FileRef] = field(default_factory=dict)
    files_by_id: dict[int, FileRef] = field(default_factory=dict)

    def person_by_email(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        for p in self.people.values():
            if p.email.lower() == wanted:
                return p
        return None


# Events the engine emits; the delivery layer turns them into webhooks.


@dataclass(slots=True, frozen=True)
class StepEntered:
    task_id: int
    step: int
    approver_ids: tuple[int, ...]


@dataclass(slots=True, frozen=True)
class CommentAdded:
    task_id: int
    author_id: int


@dataclass(slots=True, frozen=True)
class TaskClosed:
    task_id: int
    author_id: int


Event = StepEntered | CommentAdded | TaskClosed
