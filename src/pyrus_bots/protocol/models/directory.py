"""Directory entities of the API: bots, task lists, the profile, auth (spec 3.10, 4.1, 4.6)."""

from __future__ import annotations

from pydantic import Field

from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.person import Organization, Person, Role

__all__ = [
    "AuthRequest",
    "AuthResponse",
    "Bot",
    "BotsResponse",
    "ContactsResponse",
    "MembersResponse",
    "Profile",
    "RolesResponse",
    "TaskList",
    "TaskListsResponse",
]


class Bot(PyrusModel):
    """A bot as the management API shows it; ``bot_settings`` is free text (often JSON)."""

    id: int | None = None
    name: str | None = None
    external_id: str | None = None
    is_enabled: bool | None = None
    fired: bool | None = None
    hook_url: str | None = None
    description: str | None = None
    bot_settings: str | None = None
    avatar_id: int | None = None
    external_avatar_id: int | None = None
    version: int | None = None
    login: str | None = None
    rights: int | None = None
    send_only_last_comment: bool | None = None
    locale: str | None = None
    time_zone_offset: int | None = None


class BotsResponse(PyrusModel):
    """``GET /bots``."""

    bots: list[Bot] = Field(default_factory=list)


class TaskList(PyrusModel):
    """A task list (project); lists nest through ``children``."""

    id: int | None = None
    parent_id: int | None = None
    name: str | None = None
    color: str | None = None
    deleted: bool | None = None
    list_type: str | None = None
    has_form: bool | None = None
    manager_ids: list[int] = Field(default_factory=list)
    member_ids: list[int] = Field(default_factory=list)
    version: int | None = None
    external_version: int | None = None
    external_id: int | str | None = None
    is_private: bool | None = None
    children: list[TaskList] = Field(default_factory=list)


class TaskListsResponse(PyrusModel):
    """``GET /lists``."""

    lists: list[TaskList] = Field(default_factory=list)


class AuthRequest(PyrusModel):
    """``POST /auth``: a login (e-mail or ``bot@<guid>``) and its security key."""

    login: str
    security_key: str
    person_id: int | None = None

    secret_fields = frozenset({"security_key"})


class AuthResponse(PyrusModel):
    """The token and the base URLs a client must use afterwards."""

    access_token: str
    api_url: str | None = None
    files_url: str | None = None

    secret_fields = frozenset({"access_token"})


class Profile(PyrusModel):
    """``GET /profile``: who the token belongs to."""

    person_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    locale: str | None = None
    organization_id: int | None = None
    organization: Organization | None = None
    timezone_offset: int | None = None


class ContactsResponse(PyrusModel):
    """``GET /contacts``."""

    organizations: list[Organization] = Field(default_factory=list)


class MembersResponse(PyrusModel):
    """``GET /members``."""

    members: list[Person] = Field(default_factory=list)


class RolesResponse(PyrusModel):
    """``GET /roles``."""

    roles: list[Role] = Field(default_factory=list)
