"""People and files a request names, looked up in the directory (spec 3.8 PersonIdentity and
NewFile): the part of a written value's check that needs the organisation."""

from __future__ import annotations

from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.field_values import WireValueError, wire_file_ref, wire_person
from pyrus_bots.server.workflow.state import Directory

__all__ = ["resolve_file_id", "resolve_person_id"]


def resolve_person_id(directory: Directory, identity: Any, *, allow_roles: bool = False) -> int:
    """The person id a PersonIdentity (``{"id"}`` or ``{"email"}``, or a bare id) names."""
    try:
        ref = wire_person(identity)
    except WireValueError as error:
        raise PyrusError(error.code, error.why) from None
    if "id" in ref:
        person_id: int = ref["id"]
        if person_id in directory.people or (allow_roles and person_id in directory.roles):
            return person_id
        raise PyrusError("invalid_person_id", f"there is no person with id {person_id!r}")
    person = directory.person_by_email(ref["email"])
    if person is None:
        raise PyrusError("invalid_email", f"there is no person with e-mail {ref['email']!r}")
    return person.id


def resolve_file_id(directory: Directory, ref: Any) -> int:
    """The file id a NewFile (guid string, ``{guid}``, ``{attachment_id}`` or ``{id}``) names.

    A ``{url}`` NewFile is refused: the platform does not fetch files from the web.
    """
    try:
        new_file = wire_file_ref(ref)
    except WireValueError as error:
        raise PyrusError(error.code, error.why) from None
    guid = new_file.get("guid")
    if guid is not None and guid in directory.files_by_guid:
        return directory.files_by_guid[guid].id
    file_id = new_file.get("attachment_id")
    if file_id is not None and file_id in directory.files_by_id:
        return int(file_id)
    shown = guid if guid is not None else file_id if file_id is not None else new_file.get("url")
    raise PyrusError("unrecognized_attachment_id", f"no uploaded file {shown!r}")
