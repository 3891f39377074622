"""Enumerations of the protocol. Read-side models accept values outside them (as plain str)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntFlag, StrEnum

__all__ = ["Action", "ApprovalChoice", "FieldType", "PersonRights"]


class FieldType(StrEnum):
    """The 24 form field types (spec 3.8)."""

    TEXT = "text"
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    TIME = "time"
    CHECKMARK = "checkmark"
    MULTIPLE_CHOICE = "multiple_choice"
    DUE_DATE = "due_date"
    EMAIL = "email"
    PHONE = "phone"
    FLAG = "flag"
    STEP = "step"
    STATUS = "status"
    CREATION_DATE = "creation_date"
    NOTE = "note"
    CATALOG = "catalog"
    FILE = "file"
    PERSON = "person"
    AUTHOR = "author"
    TABLE = "table"
    TITLE = "title"
    PROJECT = "project"
    FORM_LINK = "form_link"
    DUE_DATE_TIME = "due_date_time"


class ApprovalChoice(StrEnum):
    """A person's decision on an approval step (``waiting`` is read side only)."""

    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACKNOWLEDGED = "acknowledged"
    REVOKED = "revoked"


class Action(StrEnum):
    """Close or reopen a task with a comment."""

    FINISHED = "finished"
    REOPENED = "reopened"


class PersonRights(IntFlag):
    """Bit flags of ``Person.rights`` (spec 3.10). Lower-case member names are the snake-case
    right names the workspace file uses."""

    MANAGE_ROLES = 0x1
    CAN_SEE_ALL_TASKS = 0x2
    MANAGE_PERSONS_IN_ORGANIZATION = 0x4
    EDIT_ORGANIZATION_PROJECTS = 0x8
    EDIT_ORGANIZATION_SETTINGS = 0x10
    DELETE_MY_TASKS_AND_PROJECTS = 0x20
    CLOSE_DELETE_ANNOUNCEMENTS = 0x40
    BILLS_PAYMENT = 0x80
    INVITE_PERSONS_TO_ORGANIZATION = 0x100
    DELETE_OTHER_MEMBERS_TASKS = 0x200
    MANAGE_INTEGRATIONS_AND_CATALOGS = 0x400
    CREATE_ANNOUNCEMENT = 0x800

    @classmethod
    def from_names(cls, names: Iterable[str]) -> PersonRights:
        """Flags from snake-case names; raises ValueError naming an unknown right."""
        flags = cls(0)
        for name in names:
            try:
                flags |= cls[name.upper()]
            except KeyError:
                raise ValueError(f"unknown person right {name!r}") from None
        return flags

    def names(self) -> list[str]:
        """The snake-case names of the set flags, lowest bit first."""
        return [flag.name.lower() for flag in type(self) if flag in self and flag.name]
