"""How the UI shows a file: its name and size, its download link, and whether it previews
inline (images and PDFs, by the name's extension; see :mod:`.ui_files`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from pyrus_bots.server.admin.headers import UI_PREFIX

PREVIEW_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
"""Types shown inline, by the file name's extension; every other file is only downloaded."""


def preview_type(name: str) -> str | None:
    """The type a file is previewed as, or None when it is only downloaded."""
    return PREVIEW_TYPES.get(PurePosixPath(name.lower()).suffix)


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def file_view(file: Mapping[str, Any]) -> dict[str, Any]:
    """A rendered File (``{id, name, size, ...}``) as the templates show it: its links and
    whether it previews as an image or a document."""
    file_id, name = file.get("id"), str(file.get("name") or "file")
    kind = preview_type(name)
    return {
        "id": file_id,
        "name": name,
        "size": size_text(int(file.get("size") or 0)),
        "url": f"{UI_PREFIX}/files/{file_id}",
        "preview_url": f"{UI_PREFIX}/files/{file_id}/preview" if kind else None,
        "preview": None if kind is None else "pdf" if kind == "application/pdf" else "image",
    }
