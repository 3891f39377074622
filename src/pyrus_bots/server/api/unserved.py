"""The calls of the official clients that the platform does not serve, each answered with a
Pyrus error that says so and why, instead of a bare ``not_found``.

Every such call answers 404 ``option_is_not_supported`` (a code all three clients know) with a
message naming the feature. The list is the "Calls of the official clients" table of
docs/api.md, rows marked "not served".
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from pyrus_bots.protocol.errors import PyrusError

NOT_SERVED_CODE = "option_is_not_supported"
NOT_SERVED_STATUS = 404


@dataclass(frozen=True, slots=True)
class UnservedCall:
    method: str
    path: str
    reason: str


_ORG_CHART = "the org chart is not kept: departments exist only as department_id on people"
_KNOWLEDGE_BASE = "there is no knowledge base"
_TELEPHONY = "there is no telephony integration"
_REPORTS = "activity reports and access histories are not recorded"

V4_CALLS: tuple[UnservedCall, ...] = (
    *(
        UnservedCall(method, path, _ORG_CHART)
        for method, path in (
            ("GET", "/orgchart"),
            ("PUT", "/orgchart"),
            ("PUT", "/orgchart/bulk"),
            ("POST", "/orgchart/bulk"),
            ("DELETE", "/orgchart/bulk"),
            ("POST", "/orgchart/{department_id}"),
            ("DELETE", "/orgchart/{department_id}"),
        )
    ),
    *(
        UnservedCall(method, path, _KNOWLEDGE_BASE)
        for method, path in (
            ("POST", "/knowledgebase"),
            ("GET", "/knowledgebase/structure"),
            ("GET", "/knowledgebase/{entity_id}"),
            ("PUT", "/knowledgebase/{entity_id}"),
            ("DELETE", "/knowledgebase/{entity_id}"),
            ("GET", "/knowledgebase/{entity_id}/permissions"),
            ("PUT", "/knowledgebase/{entity_id}/permissions"),
        )
    ),
    UnservedCall("POST", "/integrations/call", _TELEPHONY),
    UnservedCall("POST", "/integrations/attachcallrecord", _TELEPHONY),
)
"""Unserved calls under ``/v4`` (and ``/api/v4``)."""

REPORT_PATHS = (
    "/eventhistory",
    "/fileaccesshistory",
    "/registryaccesshistory",
    "/registrydownloadhistory",
    "/taskaccesshistory",
    "/taskexporthistory",
    "/handlingtime",
    "/personlastaction",
)
"""Reports: the TypeScript client asks the API host (``/v4``), the C# client the files host."""

FILES_HOST_CALLS: tuple[UnservedCall, ...] = tuple(
    UnservedCall("GET", path, _REPORTS) for path in REPORT_PATHS
)
"""Unserved calls on the files host (the server root)."""

ALL_V4_CALLS = V4_CALLS + FILES_HOST_CALLS


def _answer(call: UnservedCall) -> Callable[[], Coroutine[Any, Any, None]]:
    feature = f"{call.method} {call.path}"

    async def not_served() -> None:
        raise PyrusError(
            NOT_SERVED_CODE,
            f"{feature} is not served by this platform: {call.reason}",
            NOT_SERVED_STATUS,
        )

    return not_served


def _router(calls: tuple[UnservedCall, ...]) -> APIRouter:
    router = APIRouter()
    for call in calls:
        router.add_api_route(
            call.path, _answer(call), methods=[call.method], include_in_schema=False
        )
    return router


def build_unserved_router() -> APIRouter:
    """The unserved calls under ``/v4``: those of :data:`V4_CALLS` and the reports."""
    return _router(ALL_V4_CALLS)


def build_files_host_unserved_router() -> APIRouter:
    """The unserved report calls on the files host (the server root)."""
    return _router(FILES_HOST_CALLS)
