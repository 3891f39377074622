"""People, roles and organizations (spec 3.2, 3.10), and how requests name a person."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, StrictInt, StrictStr, model_validator

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.base import PyrusModel

__all__ = [
    "Messenger",
    "Organization",
    "Person",
    "PersonIdentity",
    "Role",
    "SessionLifespan",
    "SessionRestriction",
]


class Messenger(PyrusModel):
    """A person's messenger: ``type`` is a number (0 none, 1 Telegram, 2 WhatsApp, 3 VK,
    4 Discord, 5 Skype, 6 Viber, 7 Internet), as the C# client's enum is written."""

    type: int | None = None
    nickname: str | None = None


class SessionLifespan(PyrusModel):
    """How long a person's sessions live (``drop`` only in requests: end them now)."""

    life_span_hours: int | None = None
    disable: bool | None = None
    drop: bool | None = None


class SessionRestriction(PyrusModel):
    """How many sessions a person may hold (``drop`` only in requests)."""

    max_count: int | None = None
    disable: bool | None = None
    drop: bool | None = None


class Person(PyrusModel):
    """A user, bot or role as Pyrus shows it (``type`` is ``user``, ``bot`` or ``role``)."""

    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    type: str | None = None
    status: str | None = None
    avatar_id: int | None = None
    external_avatar_id: int | None = None
    department_id: int | None = None
    department_name: str | None = None
    position: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    banned: bool | None = None
    fired: bool | None = None
    task_receiver: int | None = None
    native_first_name: str | None = None
    native_last_name: str | None = None
    skype: str | None = None
    messenger: Messenger | None = None
    rights: int | None = None
    """Bit flags of :class:`~pyrus_bots.protocol.models.enums.PersonRights`, a number on the
    wire (the C# and TypeScript clients' enums)."""
    external_id: str | None = None
    login_phone: str | None = None
    location: str | None = None
    personality: str | None = None
    personnel_number: str | None = None
    vacation_days: int | None = None
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

    @property
    def full_name(self) -> str:
        """``first_name last_name`` without stray spaces."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_bot(self) -> bool:
        return self.type == "bot"

    def identity(self) -> PersonIdentity:
        """How a request names this person: by id when known, else by e-mail."""
        if self.id is not None:
            return PersonIdentity(id=self.id)
        return PersonIdentity(email=self.email)


class PersonIdentity(PyrusModel):
    """A person in a request: ``{"id": n}`` or ``{"email": s}`` (strict: ``"5"`` is no id)."""

    id: StrictInt | None = None
    email: StrictStr | None = None

    @model_validator(mode="after")
    def _needs_id_or_email(self) -> Self:
        if self.id is None and not self.email:
            raise PyrusError("person_identity_missing", "A person needs an id or an email")
        return self

    @classmethod
    def by_id(cls, person_id: int) -> Self:
        return cls(id=person_id)

    @classmethod
    def by_email(cls, email: str) -> Self:
        return cls(email=email)

    @classmethod
    def of(cls, person: int | str | Person | PersonIdentity | dict[str, Any]) -> PersonIdentity:
        """An identity from an id, an e-mail, a :class:`Person` or an identity dict."""
        if isinstance(person, PersonIdentity):
            return person
        if isinstance(person, Person):
            return person.identity()
        if isinstance(person, bool):
            raise TypeError("a person is an id, an e-mail or a Person")
        if isinstance(person, int):
            return cls(id=person)
        if isinstance(person, str):
            return cls(email=person)
        return cls.model_validate(person)


class Role(PyrusModel):
    """A role: a named group of people that can stand wherever a person can."""

    id: int | None = None
    name: str | None = None
    external_id: str | None = None
    avatar_id: int | None = None
    external_avatar_id: int | None = None
    banned: bool | None = None
    fired: bool | None = None
    member_ids: list[int] = Field(default_factory=list)


class Organization(PyrusModel):
    """An organization in ``GET /contacts``."""

    organization_id: int | None = None
    name: str | None = None
    persons: list[Person] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    department_catalog_id: int | None = None
