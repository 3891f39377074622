"""Task comments as Pyrus shows them (spec 3.4), with the approvals they carry."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from pyrus_bots.protocol.models.base import PyrusDate, PyrusDateTime, PyrusModel, RawJson
from pyrus_bots.protocol.models.enums import Action, ApprovalChoice
from pyrus_bots.protocol.models.fields import FormField
from pyrus_bots.protocol.models.files import File
from pyrus_bots.protocol.models.person import Person, Role

__all__ = ["Approval", "ApprovalChoiceName", "Channel", "Subscriber", "TaskComment"]

ApprovalChoiceName = Annotated[ApprovalChoice | str, Field(union_mode="left_to_right")]
"""An approval choice: the :class:`ApprovalChoice` member when known, else the raw string."""

ActionName = Annotated[Action | str, Field(union_mode="left_to_right")]


class Approval(PyrusModel):
    """One person on one approval step. A missing ``approval_choice`` means waiting."""

    person: Person | None = None
    approval_choice: ApprovalChoiceName | None = None
    step: int | None = None

    @property
    def choice(self) -> ApprovalChoice | str:
        """The choice, ``waiting`` when Pyrus left it out."""
        return self.approval_choice if self.approval_choice is not None else ApprovalChoice.WAITING


class Subscriber(PyrusModel):
    """A subscriber of a task, with their acknowledgement state."""

    person: Person | None = None
    approval_choice: ApprovalChoiceName | None = None


class Channel(PyrusModel):
    """The external channel a comment came from or goes to (``from`` is a keyword: ``from_``)."""

    type: str | None = None
    to: RawJson = None
    from_: RawJson = Field(default=None, alias="from")
    phone: str | None = None
    integration_id: int | None = None
    direction: str | None = None


class TaskComment(PyrusModel):
    """A comment: every change to a task is one (text, field values, approvals, steps ...)."""

    id: int | None = None
    text: str | None = None
    formatted_text: str | None = None
    mentions: list[int] = Field(default_factory=list)
    subject: str | None = None
    create_date: PyrusDateTime | None = None
    author: Person | None = None
    reassigned_to: Person | None = None
    field_updates: list[FormField] = Field(default_factory=list)
    approval_choice: ApprovalChoiceName | None = None
    approval_step: int | None = None
    reset_to_step: int | None = None
    changed_step: int | None = None
    reply_note_id: int | None = None
    approvals_added: list[list[Approval]] = Field(default_factory=list)
    approvals_removed: list[list[Approval]] = Field(default_factory=list)
    approvals_rerequested: list[list[Approval]] = Field(default_factory=list)
    subscribers_added: list[Person] = Field(default_factory=list)
    subscribers_removed: list[Person] = Field(default_factory=list)
    subscribers_rerequested: list[Person] = Field(default_factory=list)
    participants_added: list[Person] = Field(default_factory=list)
    participants_removed: list[Person] = Field(default_factory=list)
    due_date: PyrusDate | None = None
    due: PyrusDateTime | None = None
    duration: int | None = None
    cancel_due: bool | None = None
    scheduled_date: PyrusDate | None = None
    scheduled_datetime_utc: PyrusDateTime | None = None
    cancel_schedule: bool | None = None
    attachments: list[File] = Field(default_factory=list)
    action: ActionName | None = None
    added_list_ids: list[int] = Field(default_factory=list)
    removed_list_ids: list[int] = Field(default_factory=list)
    comment_as_roles: list[Role] = Field(default_factory=list)
    channel: Channel | None = None
    edit_comment_id: int | None = None
    removed_attachment_ids: list[int] = Field(default_factory=list)
    delete_comment_id: int | None = None
    spent_minutes: int | None = None
    skip_satisfaction: bool | None = None
    skip_notification: bool | None = None
    skip_auto_reopen: bool | None = None
    sms_info: Any = None

    def field_update(self, key: int | str) -> FormField | None:
        """The update of one field in this comment, by id, then code, then name."""
        return _find(self.field_updates, key)


def _find(fields: list[FormField], key: int | str) -> FormField | None:
    if isinstance(key, int):
        return next((f for f in fields if f.id == key), None)
    found = next((f for f in fields if f.code == key), None)
    return found or next((f for f in fields if f.name == key), None)
