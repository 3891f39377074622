"""Write side: a comment on a task (= a bot's reply, spec 2.2) and a new task (API 4.2).

Pyrus's own rules are checked when a request is built and raise :class:`PyrusError` with the
Pyrus error code, so a bot author sees the same code the server would answer. The server parses
untrusted JSON with :func:`parse_comment_request`, which turns every failure into a PyrusError.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from pydantic import Field, ValidationError, model_validator

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.base import PyrusDate, PyrusDateTime, PyrusModel
from pyrus_bots.protocol.models.comment import Channel
from pyrus_bots.protocol.models.enums import Action, ApprovalChoice
from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.protocol.models.person import PersonIdentity
from pyrus_bots.protocol.pyrus_json import loads, to_jsonable

__all__ = [
    "CommentRequest",
    "CreateTaskRequest",
    "FieldUpdate",
    "parse_comment_request",
    "parse_create_task_request",
]


class FieldUpdate(PyrusModel):
    """A new value for one field, addressed by ``id``, ``code`` or ``name`` (spec 3.9).

    ``value`` may be raw JSON or Python values (date, time, datetime, PersonIdentity, NewFile,
    value models); :meth:`to_pyrus` spells them the Pyrus way. An explicitly given empty value
    (``None``, ``""``) is kept on the wire: that is how a field is cleared. A field update
    without ``value`` (what the official client sends for read-only fields) has
    ``has_value == False``.
    """

    id: int | None = None
    code: str | None = None
    name: str | None = None
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


def _check_due(due: Any, due_date: Any, duration: int | None) -> None:
    if due is not None and due_date is not None:
        raise PyrusError(
            "either_due_date_or_due_can_be_set", "Set either due_date or due, not both"
        )
    if duration is not None:
        if duration < 0:
            raise PyrusError("negative_duration", "duration must not be negative")
        if due is None:
            raise PyrusError("due_missing", "duration needs due")


def _field_updates_to_pyrus(data: dict[str, Any], key: str, updates: list[FieldUpdate]) -> None:
    # Empty values inside a field update are meaningful (they clear the field), so field
    # updates bypass the generic omit-empty pass.
    if updates:
        data[key] = [update.to_pyrus() for update in updates]


class CommentRequest(PyrusModel):
    """A comment to add to a task: the body of ``POST /tasks/{id}/comments`` and of a bot's
    inline reply. Every key is optional; ``{}`` changes nothing."""

    text: str | None = None
    formatted_text: str | None = None
    subject: str | None = None
    approval_choice: ApprovalChoice | None = None
    approval_steps: list[int] = Field(default_factory=list)
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
    attachments: list[NewFile | str] = Field(default_factory=list)
    due_date: PyrusDate | None = None
    due: PyrusDateTime | None = None
    duration: int | None = None
    cancel_due: bool | None = None
    scheduled_date: PyrusDate | None = None
    scheduled_datetime_utc: PyrusDateTime | None = None
    cancel_schedule: bool | None = None
    added_list_ids: list[int] = Field(default_factory=list)
    removed_list_ids: list[int] = Field(default_factory=list)
    channel: Channel | None = None
    spent_minutes: int | None = None
    skip_satisfaction: bool | None = None
    skip_notification: bool | None = None
    skip_auto_reopen: bool | None = None
    edit_comment_id: int | None = None

    @model_validator(mode="after")
    def _pyrus_rules(self) -> Self:
        _check_text(self.text, self.formatted_text)
        _check_due(self.due, self.due_date, self.duration)
        if self.approval_choice is ApprovalChoice.WAITING:
            raise PyrusError(
                "invalid_value_format",
                "approval_choice must be approved, rejected, acknowledged or revoked",
            )
        if any(step < 1 for step in self.approval_steps):
            raise PyrusError("invalid_step_number", "approval_steps are numbered from 1")
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

    text: str | None = None
    formatted_text: str | None = None
    subject: str | None = None
    responsible: PersonIdentity | None = None
    participants: list[PersonIdentity] = Field(default_factory=list)
    due_date: PyrusDate | None = None
    due: PyrusDateTime | None = None
    duration: int | None = None
    form_id: int | None = None
    fields: list[FieldUpdate] = Field(default_factory=list)
    approvals: list[list[PersonIdentity]] = Field(default_factory=list)
    fill_defaults: bool | None = None
    parent_task_id: int | None = None
    attachments: list[NewFile | str] = Field(default_factory=list)
    list_ids: list[int] = Field(default_factory=list)
    subscribers: list[PersonIdentity] = Field(default_factory=list)
    scheduled_date: PyrusDate | None = None
    scheduled_datetime_utc: PyrusDateTime | None = None

    @model_validator(mode="after")
    def _pyrus_rules(self) -> Self:
        _check_text(self.text, self.formatted_text)
        if self.form_id is None and not (self.text or self.formatted_text):
            raise PyrusError("text_missing", "A task without form_id needs text")
        _check_due(self.due, self.due_date, self.duration)
        return self

    def to_pyrus(self) -> dict[str, Any]:
        data = super().to_pyrus()
        data.pop("fields", None)
        _field_updates_to_pyrus(data, "fields", self.fields)
        return data


_Request = TypeVar("_Request", CommentRequest, CreateTaskRequest)


def _parse(model: type[_Request], data: Any) -> _Request:
    if isinstance(data, bytes | bytearray | memoryview | str):
        text = data if isinstance(data, str) else bytes(data)
        if not text.strip():
            raise PyrusError("empty_body", "The request body is empty")
        try:
            data = loads(text)
        except ValueError:
            raise PyrusError("invalid_json", "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PyrusError("invalid_json", "The request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _as_pyrus_error(error) from None


def _as_pyrus_error(error: ValidationError) -> PyrusError:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    # Input values are left out of the message: they may carry personal data or secrets.
    return PyrusError("invalid_value_format", f"Invalid value of {where}: {first['msg']}")


def parse_comment_request(data: dict[str, Any] | bytes | str) -> CommentRequest:
    """A comment request from untrusted JSON (decoded or not); raises :class:`PyrusError`
    (``invalid_json``, ``empty_body``, ``invalid_value_format`` or a Pyrus rule's code)."""
    return _parse(CommentRequest, data)


def parse_create_task_request(data: dict[str, Any] | bytes | str) -> CreateTaskRequest:
    """A create-task request from untrusted JSON; raises :class:`PyrusError` like
    :func:`parse_comment_request` (plus ``text_missing``)."""
    return _parse(CreateTaskRequest, data)
