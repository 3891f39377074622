"""The workspace file's schema (DESIGN.md 3.2): what each object may hold, checked one by one.

These pydantic models check the shape of the file and each value on its own (types, the field
types and rights of Pyrus, e-mails, ids); the checks that need the whole file (references,
unique ids, limits) are in ``checks``. Unknown keys are refused so that typos show up.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
)

from pyrus_bots.protocol import FieldType as PyrusFieldType
from pyrus_bots.protocol import PersonRights

FIELD_TYPES = tuple(field_type.value for field_type in PyrusFieldType)
"""The 24 field types of Pyrus (spec 3.8)."""

PERSON_RIGHTS = tuple(name.lower() for name in PersonRights.__members__)
"""Pyrus person rights in snake case (spec 3.10)."""


def _field_type(value: str) -> str:
    if value not in FIELD_TYPES:
        raise ValueError(f"unknown field type {value!r}; the types are: {', '.join(FIELD_TYPES)}")
    return value


def _right(value: str) -> str:
    if value not in PERSON_RIGHTS:
        raise ValueError(f"unknown right {value!r}; the rights are: {', '.join(PERSON_RIGHTS)}")
    return value


def _person_ref(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a person reference is an id, an e-mail or a bot login")
    if isinstance(value, str) and not value.strip():
        raise ValueError("a person reference must not be empty")
    return value


def _settings(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise ValueError(
            "bot settings must be a string (it is delivered verbatim as bot_settings); "
            "quote it, e.g. settings: '{\"limit\": 1000}'"
        )
    return value


def _email(value: str) -> str:
    value = value.strip()
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


FieldType = Annotated[str, AfterValidator(_field_type)]
RightName = Annotated[str, AfterValidator(_right)]
PersonRef = Annotated[int | str, PlainValidator(_person_ref)]
Email = Annotated[str, AfterValidator(_email)]
Id = Annotated[int, Field(strict=True, gt=0)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationSpec(_Spec):
    id: Id
    name: str


class PersonSpec(_Spec):
    id: Id
    email: Email
    first_name: str = ""
    last_name: str = ""
    security_key: str | None = None
    password: str | None = None  # web UI sign-in; stored as an argon2id hash
    rights: list[RightName] = []
    position: str | None = None
    department_name: str | None = None
    phone: str | None = None
    banned: bool = False
    fired: bool = False
    external_id: str | None = None


class BotSpec(_Spec):
    id: Id
    name: str
    login: str | None = None
    security_key: str | None = None
    hook_url: str | None = None
    settings: Annotated[str | None, BeforeValidator(_settings)] = None
    send_only_last_comment: bool = False
    enabled: bool = True
    description: str | None = None
    locale: str | None = None
    time_zone_offset: int | None = None
    external_id: str | None = None


class RoleSpec(_Spec):
    id: Id
    name: str
    members: list[PersonRef] = []
    banned: bool = False


class CatalogSpec(_Spec):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    id: Id
    name: str
    headers: list[str]
    items: list[list[str]] = []


class OptionSpec(_Spec):
    id: Id
    value: str
    deleted: bool = False
    fields: list[FieldSpec] | None = None
    """Sub-fields of the option, shown and filled while it is chosen."""


class FieldSpec(_Spec):
    id: Id
    type: FieldType
    name: str
    code: str | None = None
    required_step: Id | None = None
    immutable_step: Id | None = None
    options: list[OptionSpec] | None = None
    catalog_id: int | None = None
    multiple_choice: bool = False
    decimal_places: Annotated[int, Field(ge=0, le=10)] | None = None
    form_id: int | None = None
    multiline: bool = False
    text: str | None = None
    fields: list[FieldSpec] | None = None
    columns: list[FieldSpec] | None = None
    default: Any = None
    """What ``fill_defaults: true`` on task creation writes into the empty field (write format)."""


OptionSpec.model_rebuild()


class StepSpec(_Spec):
    name: str
    approvers: list[PersonRef] = []


class FormSpec(_Spec):
    id: Id
    name: str
    fields: list[FieldSpec] = []
    steps: list[StepSpec] = []
    managers: list[PersonRef] = []
    members: list[PersonRef] = []


class ListSpec(_Spec):
    """A task list; ``parent`` is the id of another list of the file."""

    id: Id
    name: Annotated[str, Field(min_length=1, max_length=1000)]
    parent: Id | None = None
    color: str | None = None
    private: bool = False
    managers: list[PersonRef] = []
    members: list[PersonRef] = []
    external_id: int | None = None


class FileSpec(_Spec):
    id: Id
    name: str
    path: str
    """The file's content, relative to the workspace file."""
    version: Annotated[int, Field(ge=1)] = 1
    root_id: int | None = None


class WorkspaceSpec(_Spec):
    organization: OrganizationSpec
    people: list[PersonSpec] = []
    bots: list[BotSpec] = []
    roles: list[RoleSpec] = []
    catalogs: list[CatalogSpec] = []
    forms: list[FormSpec] = []
    lists: list[ListSpec] = []
    files: list[FileSpec] = []
    tasks: list[dict[str, Any]] = []
    """Tasks as ``GET /v4/tasks/{id}`` shows them (checked by ``workspace.tasks``)."""
