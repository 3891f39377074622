"""Write side: a comment on a task (= a bot's reply, spec 2.2) and a new task (API 4.2).

These models are the one description of these bodies: the SDK builds them, the server's API and
its bot-reply handling parse them, and the workflow engine reads their attributes. Pyrus's own
rules are checked when a request is built and raise :class:`PyrusError` with the Pyrus error
code, so a bot author sees the same code the server would answer. Scalars are strict (``"5"`` is
not an integer, ``5`` is not a text) and dates are read the way the server always read them;
keys not declared here are kept (Pyrus tolerates them). Untrusted JSON goes through
:func:`parse_comment_request`, which turns every failure into a PyrusError.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.base import PyrusDate, PyrusDateTime, PyrusModel
from pyrus_bots.protocol.models.comment import Channel
from pyrus_bots.protocol.models.enums import Action, ApprovalChoice
from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.protocol.models.person import PersonIdentity
from pyrus_bots.protocol.pyrus_json import parse_date, parse_datetime, to_jsonable

__all__ = [
    "BulkComment",
    "BulkCommentsRequest",
    "CommentRequest",
    "CreateTaskRequest",
    "FieldUpdate",
    "parse_comment_request",
    "parse_create_task_request",
]

_NOT_TEXT = PydanticCustomError("string_type", "Input should be a valid string")


def _request_date(value: Any) -> Any:
    # Python dates pass; text is read as the server always read it (ISO 8601, spaces around
    # allowed); numbers are refused rather than taken as timestamps.
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _NOT_TEXT
    try:
        return parse_date(value)
    except ValueError:
        raise PydanticCustomError("date_format", "expected YYYY-MM-DD") from None


def _request_datetime(value: Any) -> Any:
    # Stored in UTC: a naive datetime is taken as UTC, an aware one converted.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not isinstance(value, str):
        raise _NOT_TEXT
    try:
        return parse_datetime(value)
    except ValueError:
        raise PydanticCustomError("datetime_format", "expected YYYY-MM-DDThh:mm:ssZ") from None


RequestDate = Annotated[PyrusDate, BeforeValidator(_request_date)]
RequestDateTime = Annotated[PyrusDateTime, BeforeValidator(_request_datetime)]

_CHOICES = ("approved", "rejected", "acknowledged", "revoked")


def _comment_choice(value: Any) -> Any:
    # ``waiting`` is a state, not something a comment can choose.
    if isinstance(value, str) and value in _CHOICES:
        return value
    raise PydanticCustomError(
        "literal_error", "Input should be 'approved', 'rejected', 'acknowledged' or 'revoked'"
    )


CommentChoice = Annotated[
    ApprovalChoice,
    BeforeValidator(_comment_choice),
    WithJsonSchema({"type": "string", "enum": list(_CHOICES)}),
]


class FieldUpdate(PyrusModel):
    """A new value for one field, addressed by ``id``, ``code`` or ``name`` (spec 3.9).

    ``value`` may be raw JSON or Python values (date, time, datetime, PersonIdentity, NewFile,
    value models); :meth:`to_pyrus` spells them the Pyrus way. An explicitly given empty value
    (``None``, ``""``) is kept on the wire: that is how a field is cleared. A field update
    without ``value`` (what the official client sends for read-only fields) has
    ``has_value == False``.
    """

    id: StrictInt | None = None
    code: StrictStr | None = None
    name: StrictStr | None = None
    value: Any = None

    @model_validator(mode="after")
    def _needs_identity(self) -> Self:
        if self.id is None and not self.code and not self.name:
            raise PyrusError("field_identity_missing", "A field update needs an id, code or name")
        return self

    @classmethod
    def by(cls, key: int | str, value: Any) -> Self:
        """Address the field by id when ``key`` is an int, else by code.

        Codes are the stable handle integrations use (names are for people and change);
        use :meth:`by_name` to address by name.
        """
        if isinstance(key, int) and not isinstance(key, bool):
            return cls(id=key, value=value)
        return cls(code=key, value=value)

    @classmethod
    def by_id(cls, field_id: int, value: Any) -> Self:
        return cls(id=field_id, value=value)

    @classmethod
    def by_code(cls, code: str, value: Any) -> Self:
        return cls(code=code, value=value)

    @classmethod
    def by_name(cls, name: str, value: Any) -> Self:
        return cls(name=name, value=value)

    @property
    def has_value(self) -> bool:
        """Whether the update carries a value (possibly an empty one, which clears the field)."""
        return "value" in self.model_fields_set

    def to_pyrus(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            key: value
            for key, value in (("id", self.id), ("code", self.code), ("name", self.name))
            if value is not None and value != ""
        }
        if self.model_extra:
            data.update(to_jsonable(self.model_extra))
        if self.has_value:
            data["value"] = None if self.value is None else to_jsonable(self.value)
        return data


def _check_text(text: str | None, formatted_text: str | None) -> None:
    if text and formatted_text:
        raise PyrusError(
            "both_text_and_formatted_text_specified",
            "Set either text or formatted_text, not both",
        )


def _check_due(due: Any, due_date: Any, duration: int | None, *, due_may_exist: bool) -> None:
    """``due_may_exist``: a comment may change the duration of the task's current ``due``
    (the engine checks there is one); a new task has none."""
    if due is not None and due_date is not None:
        raise PyrusError(
            "either_due_date_or_due_can_be_set", "Set either due_date or due, not both"
        )
    if duration is not None:
        if duration < 0:
            raise PyrusError("negative_duration", "duration must not be negative")
        if due is None and (due_date is not None or not due_may_exist):
            raise PyrusError("due_missing", "duration needs due")


def _field_updates_to_pyrus(data: dict[str, Any], key: str, updates: list[FieldUpdate]) -> None:
    # Empty values inside a field update are meaningful (they clear the field), so field
    # updates bypass the generic omit-empty pass.
    if updates:
        data[key] = [update.to_pyrus() for update in updates]


class CommentRequest(PyrusModel):
    """A comment to add to a task: the body of ``POST /tasks/{id}/comments`` and of a bot's
    inline reply. Every key is optional; ``{}`` changes nothing."""

    text: StrictStr | None = None
    formatted_text: StrictStr | None = None
    subject: StrictStr | None = None
    approval_choice: CommentChoice | None = None
    approval_steps: list[StrictInt] = Field(default_factory=list)
    action: Action | None = None
    reassign_to: PersonIdentity | None = None
    participants_added: list[PersonIdentity] = Field(default_factory=list)
    participants_removed: list[PersonIdentity] = Field(default_factory=list)
    subscribers_added: list[PersonIdentity] = Field(default_factory=list)
    subscribers_removed: list[PersonIdentity] = Field(default_factory=list)
    subscribers_rerequested: list[PersonIdentity] = Field(default_factory=list)
    approvals_added: list[list[PersonIdentity]] = Field(default_factory=list)
    approvals_removed: list[list[PersonIdentity]] = Field(default_factory=list)
    approvals_rerequested: list[list[PersonIdentity]] = Field(default_factory=list)
    field_updates: list[FieldUpdate] = Field(default_factory=list)
    attachments: list[NewFile | StrictStr] = Field(default_factory=list)
    due_date: RequestDate | None = None
    due: RequestDateTime | None = None
    duration: StrictInt | None = None
    cancel_due: StrictBool | None = None
    scheduled_date: RequestDate | None = None
    scheduled_datetime_utc: RequestDateTime | None = None
    cancel_schedule: StrictBool | None = None
    added_list_ids: list[StrictInt] = Field(default_factory=list)
    removed_list_ids: list[StrictInt] = Field(default_factory=list)
    channel: Channel | None = None
    spent_minutes: StrictInt | None = None
    skip_satisfaction: StrictBool | None = None
    skip_notification: StrictBool | None = None
    skip_auto_reopen: StrictBool | None = None
    edit_comment_id: StrictInt | None = None
    previous_note_id: StrictInt | None = None
    """The last comment the sender saw (``last_note_id``): the comment applies only while it is
    still the task's last one (``conflict`` otherwise). The official C# and TypeScript clients
    send it with each comment of a bulk change."""

    @model_validator(mode="after")
    def _pyrus_rules(self) -> Self:
        _check_text(self.text, self.formatted_text)
        _check_due(self.due, self.due_date, self.duration, due_may_exist=True)
        if any(step < 1 for step in self.approval_steps):
            raise PyrusError("invalid_step_number", "approval_steps are numbered from 1")
        if self.spent_minutes is not None and self.spent_minutes < 0:
            raise PyrusError("validation_error", "spent_minutes: expected a non-negative integer")
        return self

    @property
    def is_empty(self) -> bool:
        """Whether this comment would change nothing (``{}``)."""
        return not self.to_pyrus()

    def to_pyrus(self) -> dict[str, Any]:
        data = super().to_pyrus()
        data.pop("field_updates", None)
        _field_updates_to_pyrus(data, "field_updates", self.field_updates)
        return data


class CreateTaskRequest(PyrusModel):
    """``POST /tasks``: a simple task (``text`` required) or a form task (``form_id``)."""

    text: StrictStr | None = None
    formatted_text: StrictStr | None = None
    subject: StrictStr | None = None
    responsible: PersonIdentity | None = None
    participants: list[PersonIdentity] = Field(default_factory=list)
    due_date: RequestDate | None = None
    due: RequestDateTime | None = None
    duration: StrictInt | None = None
    form_id: StrictInt | None = None
    fields: list[FieldUpdate] = Field(default_factory=list)
    approvals: list[list[PersonIdentity]] = Field(default_factory=list)
    fill_defaults: StrictBool | None = None
    parent_task_id: StrictInt | None = None
    attachments: list[NewFile | StrictStr] = Field(default_factory=list)
    list_ids: list[StrictInt] = Field(default_factory=list)
    subscribers: list[PersonIdentity] = Field(default_factory=list)
    scheduled_date: RequestDate | None = None
    scheduled_datetime_utc: RequestDateTime | None = None

    @model_validator(mode="after")
    def _pyrus_rules(self) -> Self:
        _check_text(self.text, self.formatted_text)
        if self.form_id is None and not (self.text or self.formatted_text):
            raise PyrusError("text_missing", "A task without form_id needs text")
        _check_due(self.due, self.due_date, self.duration, due_may_exist=False)
        return self

    def to_pyrus(self) -> dict[str, Any]:
        data = super().to_pyrus()
        data.pop("fields", None)
        _field_updates_to_pyrus(data, "fields", self.fields)
        return data


class BulkComment(CommentRequest):
    """One comment of ``POST /tasks/comments``: a comment request naming its task.

    Two shapes are read: flat (``{"task_id", ...comment keys}``) and nested, as the C# client
    sends it and the TypeScript client types it (``{"task_id", "previous_note_id", "comment":
    {...comment keys}}``). ``previous_note_id`` ``0`` means none (C# sends ``0`` when unset)."""

    task_id: StrictInt = Field(ge=1, le=2**63 - 1)

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        nested = data.pop("comment", None)
        if nested is not None:
            if not isinstance(nested, dict):
                raise PyrusError("invalid_value_format", "comments: comment must be an object")
            beside = sorted(
                key
                for key in data
                if key in CommentRequest.model_fields and key != "previous_note_id"
            )
            if beside:
                raise PyrusError(
                    "invalid_value_format",
                    f"comments: {beside[0]} belongs inside comment when comment is given",
                )
            previous = data.pop("previous_note_id", None)
            data = {**nested, **data}
            if previous is not None and not _is_zero(previous):
                data["previous_note_id"] = previous
        if _is_zero(data.get("previous_note_id")):
            del data["previous_note_id"]
        return data


def _is_zero(value: Any) -> bool:
    return type(value) is int and value == 0


class BulkCommentsRequest(PyrusModel):
    """``POST /tasks/comments``: several comments applied all or nothing."""

    comments: list[BulkComment]
    no_tasks_in_response: StrictBool | None = None


def parse_comment_request(data: dict[str, Any] | bytes | str) -> CommentRequest:
    """A comment request from untrusted JSON (decoded or not); raises :class:`PyrusError`
    (``invalid_json``, ``empty_body``, ``invalid_value_format`` or a Pyrus rule's code)."""
    return parse_body(CommentRequest, data)


def parse_create_task_request(data: dict[str, Any] | bytes | str) -> CreateTaskRequest:
    """A create-task request from untrusted JSON; raises :class:`PyrusError` like
    :func:`parse_comment_request` (plus ``text_missing``)."""
    return parse_body(CreateTaskRequest, data)
