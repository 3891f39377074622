"""Attachments: files as Pyrus shows them, and files a request attaches (spec 3.5)."""

from __future__ import annotations

from typing import Self

from pydantic import StrictInt, StrictStr, model_validator

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.base import PyrusModel

__all__ = ["File", "NewFile", "UploadResponse"]


class File(PyrusModel):
    """A stored file (read side)."""

    id: int | None = None
    name: str | None = None
    size: int | None = None
    md5: str | None = None
    url: str | None = None
    version: int | None = None
    root_id: int | None = None


class NewFile(PyrusModel):
    """A file to attach: ``{guid}``, ``{guid, root_id}`` (new version), ``{attachment_id}``
    (an existing file) or ``{url, name}`` (fetched by Pyrus). Strict like every request."""

    guid: StrictStr | None = None
    root_id: StrictInt | None = None
    attachment_id: StrictInt | None = None
    url: StrictStr | None = None
    name: StrictStr | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if not (self.guid or self.attachment_id is not None or self.url):
            raise PyrusError(
                "unrecognized_attachment_id",
                "An attachment needs a guid, an attachment_id or a url",
            )
        return self

    @classmethod
    def from_guid(cls, guid: str, root_id: int | None = None) -> Self:
        return cls(guid=guid, root_id=root_id)

    @classmethod
    def from_attachment(cls, attachment_id: int) -> Self:
        return cls(attachment_id=attachment_id)

    @classmethod
    def from_url(cls, url: str, name: str) -> Self:
        return cls(url=url, name=name)


class UploadResponse(PyrusModel):
    """What ``POST /files/upload`` answers."""

    guid: str
    md5_hash: str | None = None
