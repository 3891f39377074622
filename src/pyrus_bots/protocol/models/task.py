"""Tasks (spec 3.3): simple tasks and form tasks, with or without their comments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field, PrivateAttr

from pyrus_bots.protocol.models.base import PyrusDate, PyrusDateTime, PyrusModel
from pyrus_bots.protocol.models.comment import Approval, Subscriber, TaskComment
from pyrus_bots.protocol.models.enums import ApprovalChoice
from pyrus_bots.protocol.models.fields import FormField, iter_nested_fields
from pyrus_bots.protocol.models.files import File
from pyrus_bots.protocol.models.form import find_field
from pyrus_bots.protocol.models.person import Person

__all__ = ["Task", "TaskHeader", "TaskStep", "TaskWithComments"]


class TaskStep(PyrusModel):
    """A workflow step of a form task; ``elapsed_time`` is in milliseconds."""

    step: int | None = None
    name: str | None = None
    elapsed_time: int | None = None


class TaskHeader(PyrusModel):
    """The short form of a task used by lists and the inbox."""

    id: int | None = None
    text: str | None = None
    subject: str | None = None
    create_date: PyrusDateTime | None = None
    last_modified_date: PyrusDateTime | None = None
    close_date: PyrusDateTime | None = None
    author: Person | None = None
    responsible: Person | None = None
    due_date: PyrusDate | None = None
    due: PyrusDateTime | None = None
    duration: int | None = None


class Task(TaskHeader):
    """A task. Form tasks have ``form_id``, ``fields``, ``approvals`` and ``steps``."""

    formatted_text: str | None = None
    participants: list[Person] = Field(default_factory=list)
    scheduled_date: PyrusDate | None = None
    scheduled_datetime_utc: PyrusDateTime | None = None
    cancel_schedule: bool | None = None
    form_id: int | None = None
    fields: list[FormField] = Field(default_factory=list)
    approvals: list[list[Approval]] = Field(default_factory=list)
    subscribers: list[Subscriber] = Field(default_factory=list)
    current_step: int | None = None
    steps: list[TaskStep] = Field(default_factory=list)
    is_closed: bool | None = None
    list_ids: list[int] = Field(default_factory=list)
    linked_task_ids: list[int] = Field(default_factory=list)
    parent_task_id: int | None = None
    last_note_id: int | None = None
    attachments: list[File] = Field(default_factory=list)

    # Flattened fields, built on the first lookup; a task from a payload is read, not edited.
    _flat_fields: list[FormField] | None = PrivateAttr(default=None)

    @property
    def is_form_task(self) -> bool:
        return self.form_id is not None

    @property
    def last_comment(self) -> TaskComment | None:
        """The newest comment (comments are oldest first), None without comments."""
        comments = getattr(self, "comments", None)
        if not comments:
            return None
        last = comments[-1]
        return last if isinstance(last, TaskComment) else TaskComment.model_validate(last)

    def fields_flat(self) -> list[FormField]:
        """Every field, depth first: top-level fields, title children, table cells (one per
        row, ``row_id`` set) and fields attached to chosen options. Cached after the first call;
        call :meth:`refresh_fields` after editing ``fields``."""
        if self._flat_fields is None:
            seen: set[tuple[int | None, int | None]] = set()
            flat: list[FormField] = []
            for field in _walk(self.fields):
                key = (field.id, field.row_id)
                if field.id is not None and key in seen:
                    continue
                seen.add(key)
                flat.append(field)
            self._flat_fields = flat
        return self._flat_fields

    def refresh_fields(self) -> None:
        """Forget the cached flat field list."""
        self._flat_fields = None

    def field(self, key: int | str) -> FormField | None:
        """A field by id (int) or by code, then name (str), at any depth (first match)."""
        return find_field(self.fields_flat(), key)

    def value(self, key: int | str) -> Any:
        """The typed value of a field (see :meth:`FormField.typed_value`), None when the field
        is missing or empty."""
        field = self.field(key)
        return field.typed_value() if field is not None else None

    def approvals_on(self, step: int) -> list[Approval]:
        """The approvals of a 1-based step (empty when the step has none)."""
        if 1 <= step <= len(self.approvals):
            return self.approvals[step - 1]
        return []

    def waiting_on(self, step: int | None = None) -> list[Person]:
        """People still waiting to decide on ``step`` (default: the current step)."""
        number = step if step is not None else self.current_step
        if number is None:
            return []
        return [
            approval.person
            for approval in self.approvals_on(number)
            if approval.person is not None and approval.choice == ApprovalChoice.WAITING
        ]


class TaskWithComments(Task):
    """A task with its comments, oldest first (``GET /tasks/{id}``, webhook ``task``)."""

    comments: list[TaskComment] = Field(default_factory=list)


def _walk(fields: list[FormField]) -> Iterator[FormField]:
    for field in fields:
        yield field
        yield from _walk(list(iter_nested_fields(field)))
