"""The bot's reply: a typed builder for every field of a Pyrus comment request (spec 2.2).

A :class:`Reply` is plain data until it is rendered against the delivered task. Field updates by
code or name are resolved and type-checked at the call to :meth:`Reply.set_field` when the reply
is built inside a handler (the SDK puts the task in context), otherwise when it is rendered; in
both cases a wrong value is a :class:`ReplyError` in the bot, before anything is sent.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal, Protocol, Self

from pyrus_bots.bot.choices import apply_form, needs_catalog, needs_form
from pyrus_bots.bot.fields import (
    FieldIndex,
    FieldRef,
    FieldValueError,
    ReplyError,
    new_file,
    person_identity,
)
from pyrus_bots.protocol.pyrus_json import format_date, format_datetime

__all__ = [
    "ApprovalChoice",
    "Later",
    "Reply",
    "ReplyError",
    "ReplyLike",
    "render_reply",
    "unresolved_updates",
]

ApprovalChoice = Literal["approved", "rejected", "acknowledged", "revoked"]
ChannelType = str
_CHOICES = frozenset({"approved", "rejected", "acknowledged", "revoked"})


class _HasFields(Protocol):
    @property
    def fields(self) -> FieldIndex: ...


# The delivery the current handler works on (an Event); set by the SDK around each handler call
# so that set_field can check a value where it is written. Its index is built on first use.
current_delivery: contextvars.ContextVar[_HasFields | None] = contextvars.ContextVar(
    "pyrus_bots_current_delivery", default=None
)


class Reply:
    """A comment by the bot: text, approval, field updates and every other change Pyrus allows.

    Every method returns the reply itself, so calls chain::

        Reply.approve("Checked").set_field("u_status", "Approved").add_subscribers("a@b.c")
    """

    __slots__ = ("_data", "_pending")

    def __init__(self, text: str | None = None, *, formatted_text: str | None = None) -> None:
        self._data: dict[str, Any] = {}
        # field updates: (ref, value, resolved entry or None when the task was not known yet)
        self._pending: list[tuple[FieldRef, Any, dict[str, Any] | None]] = []
        if text is not None:
            self.set_text(text)
        if formatted_text is not None:
            self.set_formatted_text(formatted_text)

    # --- constructors ---------------------------------------------------------------------

    @classmethod
    def comment(cls, text: str | None = None, *, formatted_text: str | None = None) -> Reply:
        """A comment without an approval decision."""
        return cls(text, formatted_text=formatted_text)

    @classmethod
    def approve(
        cls,
        text: str | None = None,
        *,
        formatted_text: str | None = None,
        steps: Iterable[int] | None = None,
    ) -> Reply:
        """Approve the current step (or ``steps``): the task moves on."""
        return cls(text, formatted_text=formatted_text).set_approval("approved", steps=steps)

    @classmethod
    def reject(
        cls,
        text: str | None = None,
        *,
        formatted_text: str | None = None,
        steps: Iterable[int] | None = None,
    ) -> Reply:
        """Reject: the task goes back to the previous step."""
        return cls(text, formatted_text=formatted_text).set_approval("rejected", steps=steps)

    @classmethod
    def acknowledge(
        cls,
        text: str | None = None,
        *,
        formatted_text: str | None = None,
        steps: Iterable[int] | None = None,
    ) -> Reply:
        """Acknowledge: record the choice, move nothing."""
        return cls(text, formatted_text=formatted_text).set_approval("acknowledged", steps=steps)

    @classmethod
    def revoke(
        cls,
        text: str | None = None,
        *,
        formatted_text: str | None = None,
        steps: Iterable[int] | None = None,
    ) -> Reply:
        """Withdraw the bot's earlier choice."""
        return cls(text, formatted_text=formatted_text).set_approval("revoked", steps=steps)

    @staticmethod
    def later(work: Awaitable[ReplyLike], now: ReplyLike = None) -> Later:
        """Answer Pyrus at once with ``now`` (default: nothing), then await ``work`` in the
        background and post what it returns through the API as the bot."""
        return Later(work, now)

    # --- text -----------------------------------------------------------------------------

    def set_text(self, text: str) -> Self:
        """Plain comment text."""
        _set_text(self._data, "text", text, other="formatted_text")
        return self

    def set_formatted_text(self, html: str) -> Self:
        """Rich comment text (HTML)."""
        _set_text(self._data, "formatted_text", html, other="text")
        return self

    def set_subject(self, subject: str) -> Self:
        """A new task subject."""
        _check_str("subject", subject)
        self._data["subject"] = subject
        return self

    # --- approval -------------------------------------------------------------------------

    def set_approval(self, choice: ApprovalChoice, *, steps: Iterable[int] | None = None) -> Self:
        """The bot's approval choice, on the current step or on ``steps``."""
        if choice not in _CHOICES:
            raise ReplyError(f"approval_choice is one of {sorted(_CHOICES)}, not {choice!r}")
        self._data["approval_choice"] = choice
        if steps is not None:
            self._data["approval_steps"] = [_step(s) for s in steps]
        return self

    def add_approvers(self, step: int, *people: Any) -> Self:
        """Add approvers to ``step`` (1-based)."""
        return self._approvals("approvals_added", step, people)

    def remove_approvers(self, step: int, *people: Any) -> Self:
        """Remove approvers from ``step``."""
        return self._approvals("approvals_removed", step, people)

    def rerequest_approvals(self, step: int, *people: Any) -> Self:
        """Ask approvers of ``step`` to decide again."""
        return self._approvals("approvals_rerequested", step, people)

    def _approvals(self, key: str, step: int, people: tuple[Any, ...]) -> Self:
        index = _step(step) - 1
        table: list[list[dict[str, Any]]] = self._data.setdefault(key, [])
        while len(table) <= index:
            table.append([])  # one inner list per step; untouched steps stay empty
        table[index].extend(person_identity(p) for p in people)
        return self

    # --- people ---------------------------------------------------------------------------

    def reassign(self, person: Any) -> Self:
        """Make ``person`` (id, e-mail or person) the responsible."""
        self._data["reassign_to"] = person_identity(person)
        return self

    def add_participants(self, *people: Any) -> Self:
        return self._people("participants_added", people)

    def remove_participants(self, *people: Any) -> Self:
        return self._people("participants_removed", people)

    def add_subscribers(self, *people: Any) -> Self:
        return self._people("subscribers_added", people)

    def remove_subscribers(self, *people: Any) -> Self:
        return self._people("subscribers_removed", people)

    def rerequest_subscribers(self, *people: Any) -> Self:
        return self._people("subscribers_rerequested", people)

    def _people(self, key: str, people: tuple[Any, ...]) -> Self:
        self._data.setdefault(key, []).extend(person_identity(p) for p in people)
        return self

    # --- fields ---------------------------------------------------------------------------

    def set_field(self, field: FieldRef, value: Any) -> Self:
        """Set a form field by id, code or name; the value is checked against its type.

        A choice (or catalog item) given by name is checked once the handler returns: the
        SDK reads the form template (and the catalog) through the API, as Pyrus needs ids."""
        self._pending.append((field, value, _checked_now(field, value)))
        return self

    def set_fields(self, values: Mapping[FieldRef, Any] | None = None, **by_code: Any) -> Self:
        """Several fields at once: a mapping of id/code/name to value, or codes as keywords."""
        for field, value in (values or {}).items():
            self.set_field(field, value)
        for field, value in by_code.items():
            self.set_field(field, value)
        return self

    # --- dates ----------------------------------------------------------------------------

    def set_due(self, due: datetime | str, *, duration: int | None = None) -> Self:
        """A due date-time (UTC), with an optional duration in minutes."""
        if "due_date" in self._data:
            raise ReplyError("a reply sets due or due_date, not both")
        self._data["due"] = _datetime("due", due)
        if duration is not None:
            self._data["duration"] = _minutes("duration", duration)
        return self

    def set_due_date(self, due_date: date | str) -> Self:
        """A due date (no time)."""
        if "due" in self._data:
            raise ReplyError("a reply sets due or due_date, not both")
        self._data["due_date"] = _date("due_date", due_date)
        return self

    def cancel_due(self) -> Self:
        self._data["cancel_due"] = True
        return self

    def schedule(self, when: date | datetime | str) -> Self:
        """Hide the task from the inbox until a date (``date``) or a moment (``datetime``)."""
        if isinstance(when, datetime) or (isinstance(when, str) and "T" in when):
            self._data["scheduled_datetime_utc"] = _datetime("scheduled_datetime_utc", when)
        else:
            self._data["scheduled_date"] = _date("scheduled_date", when)
        return self

    def cancel_schedule(self) -> Self:
        self._data["cancel_schedule"] = True
        return self

    # --- everything else ------------------------------------------------------------------

    def attach(self, *files: Any) -> Self:
        """Attach files: upload guids, attachment ids, NewFile dicts or models."""
        self._data.setdefault("attachments", []).extend(new_file(f) for f in files)
        return self

    def add_to_lists(self, *list_ids: int) -> Self:
        self._data.setdefault("added_list_ids", []).extend(_ids("added_list_ids", list_ids))
        return self

    def remove_from_lists(self, *list_ids: int) -> Self:
        self._data.setdefault("removed_list_ids", []).extend(_ids("removed_list_ids", list_ids))
        return self

    def via_channel(
        self,
        channel_type: ChannelType,
        *,
        to: str | None = None,
        sender: str | None = None,
        phone: str | None = None,
        integration_id: int | None = None,
    ) -> Self:
        """Send the comment to an external channel (e-mail, telegram, ...)."""
        channel: dict[str, Any] = {"type": channel_type}
        for key, value in (("to", to), ("from", sender), ("phone", phone)):
            if value is not None:
                channel[key] = value
        if integration_id is not None:
            channel["integration_id"] = integration_id
        self._data["channel"] = channel
        return self

    def spent(self, minutes: int) -> Self:
        """Time spent, in minutes."""
        self._data["spent_minutes"] = _minutes("spent_minutes", minutes)
        return self

    def skip_satisfaction(self) -> Self:
        self._data["skip_satisfaction"] = True
        return self

    def skip_notification(self) -> Self:
        self._data["skip_notification"] = True
        return self

    def skip_auto_reopen(self) -> Self:
        """Do not reopen a closed task with this comment."""
        self._data["skip_auto_reopen"] = True
        return self

    def close(self) -> Self:
        """Close the task (``action: finished``)."""
        self._data["action"] = "finished"
        return self

    def reopen(self) -> Self:
        """Reopen the task (``action: reopened``)."""
        self._data["action"] = "reopened"
        return self

    def edit_comment(self, comment_id: int) -> Self:
        """Edit the bot's comment ``comment_id`` instead of adding a new one."""
        self._data["edit_comment_id"] = _ids("edit_comment_id", (comment_id,))[0]
        return self

    # --- output ---------------------------------------------------------------------------

    def to_dict(
        self, task: Mapping[str, Any] | FieldIndex | None = None, *, form: Any = None
    ) -> dict[str, Any]:
        """The comment request as Pyrus JSON, field references resolved against ``task``;
        choice names need the form template ``form`` (``GET /v4/forms/{id}``: a model or its
        JSON) unless the task lists the options. Inside a bot the SDK reads it itself."""
        if "duration" in self._data and "due" not in self._data:
            raise ReplyError("duration goes with due")
        out = dict(self._data)
        if self._pending:
            index = _index_of(task, form)
            out["field_updates"] = [
                entry if entry is not None else _resolve(index, ref, value)
                for ref, value, entry in self._pending
            ]
        return out

    def __repr__(self) -> str:
        updates = [ref for ref, _, _ in self._pending]
        extra = f", field_updates={updates!r}" if updates else ""
        return f"Reply({self._data!r}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reply):
            return NotImplemented
        return self._data == other._data and self._pending == other._pending

    __hash__ = None  # type: ignore[assignment]


def _check_str(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ReplyError(f"{key} is a string, not {type(value).__name__}")


def _set_text(data: dict[str, Any], key: str, value: str, *, other: str) -> None:
    _check_str(key, value)
    if other in data:
        raise ReplyError("a reply has text or formatted_text, not both")
    data[key] = value


class Later:
    """A handler's result that answers now and finishes in the background (:meth:`Reply.later`)."""

    __slots__ = ("now", "work")

    def __init__(self, work: Awaitable[ReplyLike], now: ReplyLike = None) -> None:
        self.work = work
        self.now = now


ReplyLike = Reply | Mapping[str, Any] | str | None | Any
"""What a handler may return: a Reply, a dict, a CommentRequest, a str (the text) or None."""


def unresolved_updates(reply: Reply) -> list[tuple[FieldRef, Any]]:
    """The field updates of ``reply`` not checked yet (field, value): they wait for the task,
    or for the form template their choice names need."""
    return [(ref, value) for ref, value, entry in reply._pending if entry is None]


def _checked_now(field: FieldRef, value: Any) -> dict[str, Any] | None:
    """The update, checked against the delivery of the running handler; None when there is
    none yet, or when its names wait for the form template (read after the handler)."""
    delivery = current_delivery.get()
    if delivery is None:
        return None
    index = delivery.fields
    try:
        spec = index.find(field)
    except FieldValueError:
        if getattr(delivery, "form_id", None) is not None:
            return None  # maybe a sub-field of an option the task has not chosen: the template
        raise
    if needs_form(spec, value) or needs_catalog(spec, value):
        return None
    return index.update(field, value)


def _index_of(task: Mapping[str, Any] | FieldIndex | None, form: Any) -> FieldIndex | None:
    index = task if isinstance(task, FieldIndex) or task is None else FieldIndex.of_task(task)
    if form is not None and index is not None:
        apply_form(index, form)
    return index


def _resolve(index: FieldIndex | None, ref: FieldRef, value: Any) -> dict[str, Any]:
    if index is None:
        raise FieldValueError(
            f"field {ref!r}: a field update needs the task to check against; "
            "pass the task to Reply.to_dict(task)"
        )
    return index.update(ref, value)


def render_reply(result: Any, task: Mapping[str, Any] | FieldIndex | None) -> dict[str, Any]:
    """The comment request a handler's return value stands for, checked (raises ReplyError)."""
    if result is None:
        return {}
    if isinstance(result, Reply):
        return result.to_dict(task)
    if isinstance(result, str):
        return {"text": result}
    if isinstance(result, Mapping):
        return _checked_mapping(result)
    to_pyrus = getattr(result, "to_pyrus", None)
    if callable(to_pyrus):  # a CommentRequest model (already validated)
        dumped: dict[str, Any] = to_pyrus()
        return dumped
    raise ReplyError(
        f"a handler returns a Reply, a dict, a CommentRequest, a str or None, "
        f"not {type(result).__name__}"
    )


def _checked_mapping(result: Mapping[str, Any]) -> dict[str, Any]:
    """A dict reply validated as a comment request, in Pyrus JSON form."""
    if not result:
        return {}
    from pyrus_bots.protocol import parse_comment_request
    from pyrus_bots.protocol.errors import PyrusError

    try:
        request = parse_comment_request(dict(result))
    except PyrusError as exc:
        raise ReplyError(f"the reply is not a valid comment request: {exc.message}") from None
    dumped: dict[str, Any] = request.to_pyrus()
    return dumped


def _step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ReplyError(f"a step number is an int from 1, not {step!r}")
    return step


def _ids(key: str, values: Iterable[Any]) -> list[int]:
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ReplyError(f"{key} takes int ids, not {value!r}")
        out.append(value)
    return out


def _minutes(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReplyError(f"{key} is a whole number of minutes, not {value!r}")
    return value


def _date(key: str, value: Any) -> str:
    if isinstance(value, datetime):
        raise ReplyError(f"{key} is a date, not a date-time")
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            pass
    raise ReplyError(f"{key} is a date (datetime.date or 'YYYY-MM-DD'), not {value!r}")


def _datetime(key: str, value: Any) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, str):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise ReplyError(f"{key} is a date-time (datetime or 'YYYY-MM-DDThh:mm:ssZ'), not {value!r}")
