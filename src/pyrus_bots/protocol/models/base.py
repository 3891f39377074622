"""The base of every protocol model, and the Pyrus spellings of date and time values.

Read side is tolerant: unknown keys are allowed and kept, so a payload survives a round trip
through our models unchanged. Validation stays in pydantic-core (no Python validators on the
hot path); only serialization to the Pyrus form calls small Python functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Annotated, Any, ClassVar, Self

import orjson
from pydantic import BaseModel, ConfigDict, PlainSerializer

from pyrus_bots.protocol.pyrus_json import (
    format_date,
    format_datetime,
    format_time,
    to_jsonable,
)

__all__ = ["PyrusDate", "PyrusDateTime", "PyrusModel", "PyrusTime", "RawJson"]

PyrusDateTime = Annotated[
    datetime, PlainSerializer(format_datetime, return_type=str, when_used="json")
]
"""A date-time written as ``YYYY-MM-DDThh:mm:ssZ`` (UTC, naive taken as UTC)."""

PyrusDate = Annotated[date, PlainSerializer(format_date, return_type=str, when_used="json")]
"""A date written as ``YYYY-MM-DD``."""

PyrusTime = Annotated[time, PlainSerializer(format_time, return_type=str, when_used="json")]
"""A time of day written as ``HH:MM``."""

RawJson = Annotated[Any, PlainSerializer(to_jsonable, when_used="json")]
"""A value kept as decoded JSON on read; Python values put there (dates, models, Decimal)
are written the Pyrus way."""


class PyrusModel(BaseModel):
    """A Pyrus JSON object: tolerant on read, Pyrus-shaped on write."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    # Fields that hold secrets (tokens, keys): masked in repr, so logs and tracebacks never
    # show them.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Like Pyrus JSON, the repr leaves out empty keys: a Person is 4 keys, not 27.
        for name, value in super().__repr_args__():
            if value is None or (isinstance(value, list | dict) and not value):
                continue
            yield name, ("***" if name in self.secret_fields else value)

    def __eq__(self, other: object) -> bool:
        # Equal when the data is equal: private attributes only hold caches (pydantic's own
        # __eq__ would compare them too, so a task whose lookup cache is warm would differ).
        if not isinstance(other, BaseModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]  # mutable models are not hashable

    @classmethod
    def from_pyrus(cls, data: Any) -> Self:
        """Build from a decoded Pyrus JSON object."""
        return cls.model_validate(data)

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Build from JSON text (faster than decoding first and calling :meth:`from_pyrus`)."""
        return cls.model_validate_json(data)

    def to_json(self) -> bytes:
        """Pyrus JSON bytes of :meth:`to_pyrus`."""
        return orjson.dumps(self.to_pyrus())

    def to_pyrus(self) -> dict[str, Any]:
        """The Pyrus JSON object: empty keys omitted, Pyrus date/time formats, enum values."""
        # A Python-mode dump plus one walk that both converts values (datetimes, enums, dates)
        # and drops empties is about 3x cheaper than pydantic's JSON mode plus that walk.
        dumped = self.model_dump(by_alias=True, exclude_none=True)
        cleaned: dict[str, Any] = to_jsonable(dumped)
        return cleaned
