"""The Pyrus API v4 as one router, mounted at ``/v4`` and ``/api/v4`` (DESIGN.md 3.3)."""

from __future__ import annotations

from fastapi import APIRouter

from pyrus_bots.server.api import (
    announcements,
    auth,
    bots,
    catalogs,
    files,
    forms,
    inbox,
    lists,
    members,
    people,
    roles,
    tasks,
)

API_PREFIXES = ("/v4", "/api/v4")


def build_v4_router() -> APIRouter:
    """Every ``/v4`` endpoint, without prefix."""
    router = APIRouter()
    for module in (auth, tasks, forms, catalogs, files, people, bots, lists):
        router.include_router(module.router)
    for module in (inbox, announcements, members, roles):
        router.include_router(module.router)
    return router


def build_files_router() -> APIRouter:
    """``/services/attachment`` on the files host (the server root)."""
    return files.attachment_router
