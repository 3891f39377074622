"""A bot cannot route a task to another bot (Pyrus's help on bots; DESIGN.md 3.5).

A change by a bot that makes another bot the responsible, or adds (or re-requests) another bot
as approver, participant or subscriber, is refused as a whole with 400 ``invalid_person_id``;
a bot naming itself is fine. The task layer asks this before the engine applies anything, for
API comments, bot replies (logged as ``invalid_reply``) and tasks a bot creates alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.person import PersonIdentity
from pyrus_bots.protocol.models.requests import CommentRequest, CreateTaskRequest
from pyrus_bots.server.workflow.state import Directory, Person
from pyrus_bots.server.workflow.values import resolve_person_id

__all__ = ["refuse_routing_to_other_bots"]

# Keys of a comment or a new task that send the task to a person.
_ONE = ("reassign_to", "responsible")
_MANY = ("participants_added", "subscribers_added", "subscribers_rerequested", "participants")
_BY_STEP = ("approvals_added", "approvals_rerequested", "approvals")
_SUBSCRIBERS = "subscribers"


def _named(request: CommentRequest | CreateTaskRequest) -> Iterator[Any]:
    for key in _ONE:
        if (one := getattr(request, key, None)) is not None:
            yield one
    for key in (*_MANY, _SUBSCRIBERS):
        yield from getattr(request, key, None) or ()
    for key in _BY_STEP:
        for step in getattr(request, key, None) or ():
            yield from step


def refuse_routing_to_other_bots(
    directory: Directory, author: Person, request: CommentRequest | CreateTaskRequest
) -> None:
    """Raise ``PyrusError("invalid_person_id")`` when bot ``author``'s request sends the task
    to another bot. References that name nobody are left to the engine's own errors."""
    if author.type != "bot":
        return
    for identity in _named(request):
        wire = identity.to_pyrus() if isinstance(identity, PersonIdentity) else identity
        try:
            person_id = resolve_person_id(directory, wire, allow_roles=True)
        except PyrusError:
            continue
        target = directory.people.get(person_id)
        if target is not None and target.type == "bot" and target.id != author.id:
            raise PyrusError(
                "invalid_person_id",
                f"a bot cannot route a task to another bot (person {person_id} is a bot)",
            )
