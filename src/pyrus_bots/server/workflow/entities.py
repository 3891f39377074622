"""Pyrus JSON for the small entities that tasks, comments and field values embed.

Kept apart from ``render`` so that ``values`` (field read formats) can use them without a cycle.
Every function returns a dict already passed through ``omit_empty``.
"""

from __future__ import annotations

from typing import Any

from pyrus_bots.protocol.models.enums import PersonRights
from pyrus_bots.protocol.pyrus_json import omit_empty
from pyrus_bots.server.workflow.state import Directory, FileRef, Person, Role

ATTACHMENT_PATH = "services/attachment?Id="
"""Where the official Python and C# clients download a file, relative to ``files_url``."""


def render_person(p: Person) -> dict[str, Any]:
    """A Person object (spec 3.2)."""
    out: dict[str, Any] = omit_empty(
        {
            "id": p.id,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "email": p.email,
            "type": p.type,
            "department_name": p.department_name,
            "position": p.position,
            "phone": p.phone,
            "banned": p.banned or None,
            "fired": p.fired or None,
        }
    )
    return out


def rights_flags(rights: frozenset[str]) -> int:
    """A person's rights as the number of PersonRights flags the clients read."""
    return int(PersonRights.from_names(r for r in rights if r.upper() in PersonRights.__members__))


def render_member(p: Person) -> dict[str, Any]:
    """The whole Person object of ``/members``, ``/contacts`` and ``/profile`` (spec 3.2):
    what tasks show of a person, plus ``banned``, ``fired``, ``rights`` (a number, 0 for none,
    as the C# client's non-nullable enum reads it) and the stored details."""
    out = render_person(p)
    # Always present here: the TypeScript client declares ``banned`` required and C# reads
    # ``fired`` as a plain bool.
    out["banned"] = p.banned
    out["fired"] = p.fired
    out["rights"] = rights_flags(p.rights)
    if p.external_id:
        out["external_id"] = p.external_id
    out.update(omit_empty(p.details))
    return out


def render_role(r: Role) -> dict[str, Any]:
    """A Role object (spec 3.10)."""
    out: dict[str, Any] = omit_empty(
        {
            "id": r.id,
            "name": r.name,
            "external_id": r.external_id,
            "banned": r.banned,
            "fired": r.fired or None,
            "member_ids": list(r.member_ids),
        }
    )
    return out


def render_person_ref(directory: Directory, person_id: int) -> dict[str, Any]:
    """The Person object for an id that may name a person, a bot or a role.

    A role stands where a person would (approvers, responsible), so it is rendered as a Person of
    type ``role`` named after the role. An id that no longer resolves keeps only its ``id``.
    """
    person = directory.people.get(person_id)
    if person is not None:
        return render_person(person)
    role = directory.roles.get(person_id)
    if role is not None:
        out: dict[str, Any] = omit_empty(
            {"id": role.id, "first_name": role.name, "type": "role", "banned": role.banned or None}
        )
        return out
    return {"id": person_id}


def render_file(f: FileRef, files_url: str | None = None) -> dict[str, Any]:
    """A File object (spec 3.5); ``url`` only when the caller knows the public files URL."""
    url = None
    if files_url is not None:
        url = files_url.rstrip("/") + "/" + ATTACHMENT_PATH + str(f.id)
    out: dict[str, Any] = omit_empty(
        {
            "id": f.id,
            "name": f.name,
            "size": f.size,
            "md5": f.md5,
            "url": url,
            "version": f.version,
            "root_id": f.root_id,
        }
    )
    return out
