"""The workspace's ``files``: the content of the files its tasks hold, stored under their own ids.

Each entry names a file by id with its name and a ``path`` to the content, relative to the
workspace file (``workspace pull --with-files`` writes them to ``<name>.files/``). A file id in
the database is never written again: files do not change once uploaded.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.task_import import insert_file_with_id
from pyrus_bots.server.workflow.state import FileRef
from pyrus_bots.server.workspace.errors import Problems, WorkspaceError
from pyrus_bots.server.workspace.schema import FileSpec, WorkspaceSpec

__all__ = ["apply_files", "check_files", "file_refs"]


def _base(source: str) -> Path:
    """Where relative paths start: the workspace file's directory."""
    path = Path(source)
    return path.parent if path.name and not source.startswith("<") else Path.cwd()


def check_files(spec: WorkspaceSpec, source: str, problems: Problems) -> None:
    seen: dict[int, str] = {}
    base = _base(source)
    for index, file in enumerate(spec.files):
        problems.unique(seen, file.id, f"files[{index}].id", "file id")
        if not (base / file.path).is_file():
            problems.add(f"files[{index}].path", f"no file {file.path!r} next to the workspace")


def file_refs(spec: WorkspaceSpec) -> dict[int, FileRef]:
    """The file metadata the tasks may refer to (content not read)."""
    return {f.id: FileRef(f.id, "", f.name, 0, "", f.version, f.root_id) for f in spec.files}


def _ref(file: FileSpec, content: bytes) -> FileRef:
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    return FileRef(
        file.id, str(uuid.uuid4()), file.name, len(content), md5, file.version, file.root_id
    )


async def apply_files(session: AsyncSession, spec: WorkspaceSpec, source: str) -> list[str]:
    """Store the files the database does not hold yet; one line per file written."""
    base = _base(source)
    lines = []
    for index, file in enumerate(spec.files):
        try:
            content = (base / file.path).read_bytes()
        except OSError as exc:
            raise WorkspaceError(source, [(f"files[{index}].path", str(exc))]) from None
        if await insert_file_with_id(session, _ref(file, content), content, datetime.now(UTC)):
            lines.append(f"file {file.id} created")
    return lines
