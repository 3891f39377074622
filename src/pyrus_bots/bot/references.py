"""How a reply refers to people and files: the identities Pyrus takes (spec 3.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyrus_bots.bot.reply_errors import ReplyError

__all__ = ["new_file", "person_identity"]


def person_identity(value: Any) -> dict[str, Any]:
    """``{"id": n}`` or ``{"email": s}`` from an id, an e-mail, a dict or a person model."""
    if isinstance(value, bool):
        raise ReplyError(f"a person is an id or an e-mail, not {value!r}")
    if isinstance(value, int):
        return {"id": value}
    if isinstance(value, str):
        if "@" not in value:
            raise ReplyError(f"a person is an id or an e-mail address, not {value!r}")
        return {"email": value}
    if isinstance(value, Mapping):
        if isinstance(value.get("id"), int):
            return {"id": value["id"]}
        if isinstance(value.get("email"), str):
            return {"email": value["email"]}
    else:
        person_id = getattr(value, "id", None)
        if isinstance(person_id, int) and not isinstance(person_id, bool):
            return {"id": person_id}
        email = getattr(value, "email", None)
        if isinstance(email, str):
            return {"email": email}
    raise ReplyError(f"a person is an id, an e-mail, or an object with one, not {value!r}")


def new_file(value: Any) -> Any:
    """A NewFile entry from a guid, an attachment id, a dict or a model."""
    if isinstance(value, str):
        return {"guid": value}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"attachment_id": value}
    if isinstance(value, Mapping):
        if {"guid", "attachment_id", "url"} & set(value):
            return dict(value)
    else:
        to_pyrus = getattr(value, "to_pyrus", None)
        if callable(to_pyrus):
            return new_file(to_pyrus())
    raise ReplyError(
        f"a file is an upload guid, an attachment id, or {{'guid'|'attachment_id'|'url'}}, "
        f"not {value!r}"
    )
