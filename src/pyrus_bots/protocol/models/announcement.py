"""Announcements (spec 4.7): posts to the whole organisation, with comments and attachments."""

from __future__ import annotations

from pydantic import Field, StrictStr

from pyrus_bots.protocol.models.base import PyrusDateTime, PyrusModel
from pyrus_bots.protocol.models.files import File, NewFile
from pyrus_bots.protocol.models.parsing import StrictBody
from pyrus_bots.protocol.models.person import Person

__all__ = [
    "Announcement",
    "AnnouncementComment",
    "AnnouncementCommentRequest",
    "AnnouncementResponse",
    "AnnouncementsResponse",
    "CreateAnnouncementRequest",
]


class AnnouncementComment(PyrusModel):
    id: int | None = None
    text: str | None = None
    formatted_text: str | None = None
    create_date: PyrusDateTime | None = None
    author: Person | None = None
    attachments: list[File] = Field(default_factory=list)


class Announcement(PyrusModel):
    """An announcement with its comments (``AnnouncementWithComments`` in the clients)."""

    id: int | None = None
    text: str | None = None
    formatted_text: str | None = None
    create_date: PyrusDateTime | None = None
    last_modified_date: PyrusDateTime | None = None
    author: Person | None = None
    attachments: list[File] = Field(default_factory=list)
    comments: list[AnnouncementComment] = Field(default_factory=list)


class AnnouncementResponse(PyrusModel):
    announcement: Announcement


class AnnouncementsResponse(PyrusModel):
    announcements: list[Announcement] = Field(default_factory=list)


class CreateAnnouncementRequest(StrictBody):
    """``POST /announcements``: ``text`` or ``formatted_text``, and uploaded files (a NewFile,
    or a bare guid string as the official Python client sends them)."""

    text: StrictStr | None = None
    formatted_text: StrictStr | None = None
    attachments: list[NewFile | StrictStr] = Field(default_factory=list)


class AnnouncementCommentRequest(CreateAnnouncementRequest):
    """``POST /announcements/{id}/comments``: the same shape."""
