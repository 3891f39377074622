"""One request being applied to a private copy of a task, and what applying it came to.

:class:`Change` holds what every part of the engine shares: the task as changed so far, the
body of the comment being built (``Comment.body``, see :mod:`.engine`) and the events. The parts
(:mod:`.participants`, :mod:`.steps`, :mod:`.schedule`, :mod:`.creation`) each apply their keys
of the typed request to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.protocol.models.person import PersonIdentity
from pyrus_bots.server.workflow.state import (
    Comment,
    Directory,
    Event,
    FormDef,
    Person,
    TaskState,
)
from pyrus_bots.server.workflow.updates import FieldChange
from pyrus_bots.server.workflow.values import resolve_file_id, resolve_person_id


@dataclass(slots=True)
class Applied:
    """The outcome of an accepted request: new task state, the comment to store, the events."""

    task: TaskState
    comment: Comment
    events: list[Event]
    edited_comment: Comment | None = None
    """With ``edit_comment_id``: the original comment with its new text, to save over it."""


class Change:
    """One request being applied to a private copy of the task."""

    def __init__(self, directory: Directory, task: TaskState, author: Person, now: datetime):
        self.directory = directory
        self.task = task
        self.author = author
        self.now = now
        self.body: dict[str, Any] = {}
        self.events: list[Event] = []
        self.form: FormDef | None = None
        if task.form_id is not None:
            self.form = directory.forms.get(task.form_id)

    def record(self, key: str, value: Any) -> None:
        """Put ``key`` in the comment body when it says something."""
        if value:
            self.body[key] = value

    def record_fields(self, changes: list[FieldChange]) -> None:
        if changes:
            self.body["field_updates"] = [{"id": c.field_id, "value": c.stored} for c in changes]

    def person_id(self, identity: PersonIdentity, *, allow_roles: bool = False) -> int:
        return resolve_person_id(self.directory, _as_pyrus(identity), allow_roles=allow_roles)

    def person_ids(
        self, identities: Sequence[PersonIdentity], *, allow_roles: bool = False
    ) -> list[int]:
        """The ids the identities name, in order, each once."""
        return list(dict.fromkeys(self.person_id(p, allow_roles=allow_roles) for p in identities))

    def attach(self, refs: Sequence[NewFile | str]) -> None:
        """``attachments``: uploaded files (guids) or files already stored."""
        ids = [
            resolve_file_id(self.directory, ref if isinstance(ref, str) else ref.to_pyrus())
            for ref in refs
        ]
        ids = list(dict.fromkeys(ids))
        self.task.attachment_ids += [i for i in ids if i not in self.task.attachment_ids]
        self.record("attachments", ids)


def _as_pyrus(identity: PersonIdentity) -> dict[str, Any]:
    # The id wins over the e-mail, as in Pyrus.
    if identity.id is not None:
        return {"id": identity.id}
    return {"email": identity.email}


def unique(values: Sequence[int]) -> list[int]:
    """``values`` in order, each once."""
    return list(dict.fromkeys(values))
