"""Write side of the people directory: members, roles, avatars (spec 4.6), and the answers only
these calls give.

Shapes as the official clients send them. ``rights`` is a number of
:class:`~pyrus_bots.protocol.models.enums.PersonRights` flags (C#, TypeScript) or a list of
their snake-case names (as in the workspace file). ``PUT`` bodies from the TypeScript client
carry the object's ``id`` too; the path wins. The C# client's bulk member change spells its keys
in PascalCase (``AddMembers``...): both spellings are read.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, StrictBool, StrictInt, StrictStr

from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.parsing import StrictBody
from pyrus_bots.protocol.models.person import (
    Messenger,
    Person,
    SessionLifespan,
    SessionRestriction,
)

__all__ = [
    "ChangeMemberRequest",
    "ChangeMembersRequest",
    "ChangeMembersResponse",
    "CreateMemberRequest",
    "CreateRoleRequest",
    "DeleteRoleRequest",
    "FirePersonRequest",
    "MemberReference",
    "ProfileIdentity",
    "RightsValue",
    "SetAvatarRequest",
    "UpdateMemberRequest",
    "UpdateRoleRequest",
]

RightsValue = StrictInt | list[StrictStr]
"""``rights`` in a request: PersonRights flags as a number, or snake-case right names."""


class _MemberFields(StrictBody):
    first_name: str | None = None
    last_name: str | None = None
    native_first_name: str | None = None
    native_last_name: str | None = None
    email: str | None = None
    status: str | None = None
    rights: RightsValue | None = None
    position: str | None = None
    department_id: int | None = None
    skype: str | None = None
    messenger: Messenger | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    login_phone: str | None = None
    location: str | None = None
    personality: str | None = None
    personnel_number: str | None = None
    external_id: str | None = None


class CreateMemberRequest(_MemberFields):
    """``POST /members``: a new user; ``email`` and a first or last name are required."""

    email: str


class UpdateMemberRequest(_MemberFields):
    """``PUT /members/{id}``: absent (or ``null``) keys leave the value as it is."""

    id: int | None = None
    banned: bool | None = None
    drop_department: bool | None = None
    mobile_session_settings: SessionLifespan | None = None
    web_session_settings: SessionLifespan | None = None
    mobile_session_inactive_settings: SessionLifespan | None = None
    web_session_inactive_settings: SessionLifespan | None = None
    mobile_session_restriction_settings: SessionRestriction | None = None
    web_session_restriction_settings: SessionRestriction | None = None
    cant_view_restricted_form_registry: bool | None = None
    cant_view_form_registry: bool | None = None
    cant_export_restricted_form_registry: bool | None = None
    cant_export_form_registry: bool | None = None
    cant_add_external_users_to_tasks: bool | None = None
    cant_add_external_users_to_lists: bool | None = None
    two_factor_auth: bool | None = None


class ChangeMemberRequest(UpdateMemberRequest):
    """One change of ``POST /members/bulk``: the update of the member ``id``."""

    id: int


class MemberReference(StrictBody):
    """A member named by id (the C# client sends a whole Person; only ``id`` counts)."""

    id: int


class FirePersonRequest(StrictBody):
    """One dismissal of ``POST /members/bulk``: who, and who receives their tasks."""

    id: int
    task_receiver_id: int | None = None


class ChangeMembersRequest(StrictBody):
    """``POST /members/bulk``: several member changes at once, applied all or none."""

    add_members: list[CreateMemberRequest] = Field(
        default_factory=list, validation_alias=AliasChoices("add_members", "AddMembers")
    )
    change_members: list[ChangeMemberRequest] = Field(
        default_factory=list, validation_alias=AliasChoices("change_members", "ChangeMembers")
    )
    ban_members: list[MemberReference] = Field(
        default_factory=list, validation_alias=AliasChoices("ban_members", "BanMembers")
    )
    fire_members: list[FirePersonRequest] = Field(
        default_factory=list, validation_alias=AliasChoices("fire_members", "FireMembers")
    )


class ChangeMembersResponse(PyrusModel):
    """``POST /members/bulk``: every member the request touched, as they are now."""

    members: list[Person] = Field(default_factory=list)


class SetAvatarRequest(StrictBody):
    """``PUT /members/{id}/avatar``: the guid of an uploaded image (``POST /files/upload``)."""

    guid: str | None = None
    external_avatar_id: int | None = None


class CreateRoleRequest(StrictBody):
    """``POST /roles`` (and each item of ``POST /roles/bulk``)."""

    name: str
    external_id: str | None = None
    member_add: list[StrictInt] = Field(default_factory=list)


class UpdateRoleRequest(StrictBody):
    """``PUT /roles/{id}`` (and each item of ``PUT /roles/bulk``, where ``id`` names the role).

    The official Python client spells the removal key ``memebr_remove``; Pyrus ignores that
    key, and so does this model (it is kept as an undeclared key)."""

    id: int | None = None
    name: str | None = None
    external_id: str | None = None
    banned: StrictBool | None = None
    member_add: list[StrictInt] = Field(default_factory=list)
    member_remove: list[StrictInt] = Field(default_factory=list)


class DeleteRoleRequest(StrictBody):
    """``DELETE /roles/{id}`` (optional body) and each item of ``DELETE /roles/bulk``."""

    id: int | None = None
    task_receiver_id: int | None = None


class ProfileIdentity(PyrusModel):
    """``GET /profile/identity``: the caller's e-mail (a bot's login) and organisation."""

    email: str | None = None
    organization_id: int | None = None
