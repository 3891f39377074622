"""The Pyrus API v4 as one router, mounted at ``/v4`` and ``/api/v4`` (DESIGN.md 3.3)."""

from __future__ import annotations

from fastapi import APIRouter

from pyrus_bots.server.api import (
    announcements,
    auth,
    bots,
    catalogs,
    catalogs_bulk,
    files,
    forms,
    inbox,
    lists,
    members,
    people,
    roles,
    tasks,
    unserved,
)

API_PREFIXES = ("/v4", "/api/v4")


def build_v4_router() -> APIRouter:
    """Every ``/v4`` endpoint, without prefix."""
    router = APIRouter()
    # catalogs_bulk first: ``/catalogs/bulk`` must not be read as ``/catalogs/{catalog_id}``.
    for module in (auth, tasks, forms, catalogs_bulk, catalogs, files, people, bots, lists):
        router.include_router(module.router)
    for module in (inbox, announcements, members, roles):
        router.include_router(module.router)
    # The C# client's CommentMultipleTasksInOneTransaction posts to "/tasks//comments".
    router.add_api_route(
        "/tasks//comments", tasks.comment_tasks, methods=["POST"], include_in_schema=False
    )
    router.include_router(unserved.build_unserved_router())
    return router


def build_files_router() -> APIRouter:
    """The files host (the server root): ``/services/attachment``, and the C# client's report
    calls, which the platform does not serve."""
    router = APIRouter()
    router.include_router(files.attachment_router)
    router.include_router(unserved.build_files_host_unserved_router())
    return router
