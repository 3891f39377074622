"""Task lists, the calendar, tasks by approver and announcements as :class:`Call` builders
(spec 4.7), registered on both clients like :mod:`.endpoints`.

Requests given as protocol models are sent in their Pyrus form, plain dicts as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from pyrus_bots.bot.client.core import ApiRequest, Call, json_body
from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.models.announcement import (
    Announcement,
    AnnouncementCommentRequest,
    AnnouncementResponse,
    AnnouncementsResponse,
    CreateAnnouncementRequest,
)
from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.calendar import CalendarResponse
from pyrus_bots.protocol.models.directory import TaskList, TaskListsResponse
from pyrus_bots.protocol.models.list_requests import (
    CreateListRequest,
    PlainListsResponse,
    UpdateListRequest,
)
from pyrus_bots.protocol.models.responses import TaskHeadersResponse

__all__ = [
    "comment_announcement",
    "create_announcement",
    "create_list",
    "create_lists",
    "delete_list",
    "delete_lists",
    "get_announcement",
    "get_announcements",
    "get_calendar",
    "get_list",
    "get_lists_tree",
    "get_tasks_by_approver",
    "update_list",
    "update_lists",
]

ListBody = CreateListRequest | UpdateListRequest | Mapping[str, Any]


def _body(request: PyrusModel | Mapping[str, Any]) -> dict[str, Any]:
    return request.to_pyrus() if isinstance(request, PyrusModel) else dict(request)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _list(response: httpx.Response) -> TaskList:
    return TaskList.from_pyrus(json_body(response))


def _lists(response: httpx.Response) -> list[TaskList]:
    return PlainListsResponse.from_pyrus(json_body(response)).lists


def get_lists_tree(*, with_deleted: bool = False) -> Call[list[TaskList]]:
    """``GET /lists?with_deleted=``: the lists the caller sees, children nested."""
    params = (("with_forms", "false"), ("with_deleted", _flag(with_deleted)))
    return Call(
        ApiRequest("GET", "lists", params=params),
        lambda r: TaskListsResponse.from_pyrus(json_body(r)).lists,
    )


def get_list(list_id: int, *, with_deleted: bool = False) -> Call[TaskList]:
    """``GET /lists/{id}``: one list with its children."""
    params = (("with_forms", "false"), ("with_deleted", _flag(with_deleted)))
    return Call(ApiRequest("GET", f"lists/{int(list_id)}", params=params), _list)


def create_list(request: CreateListRequest | Mapping[str, Any]) -> Call[TaskList]:
    """``PUT /lists``: a new list; the caller becomes its manager."""
    return Call(ApiRequest("PUT", "lists", json=_body(request), idempotent=False), _list)


def create_lists(requests: Sequence[CreateListRequest | Mapping[str, Any]]) -> Call[list[TaskList]]:
    """``PUT /lists/bulk``."""
    body = [_body(r) for r in requests]
    return Call(ApiRequest("PUT", "lists/bulk", json=body, idempotent=False), _lists)


def update_list(list_id: int, request: UpdateListRequest | Mapping[str, Any]) -> Call[TaskList]:
    """``POST /lists/{id}``: rename, recolour, add or remove managers and members."""
    return Call(
        ApiRequest("POST", f"lists/{int(list_id)}", json=_body(request), idempotent=False), _list
    )


def update_lists(requests: Sequence[UpdateListRequest | Mapping[str, Any]]) -> Call[list[TaskList]]:
    """``POST /lists/bulk``: each request carries its list's ``id``."""
    body = [_body(r) for r in requests]
    return Call(ApiRequest("POST", "lists/bulk", json=body, idempotent=False), _lists)


def delete_list(list_id: int) -> Call[None]:
    """``DELETE /lists/{id}``: the list is marked deleted; its tasks stay."""
    return Call(ApiRequest("DELETE", f"lists/{int(list_id)}"), lambda r: None)


def delete_lists(list_ids: Sequence[int]) -> Call[None]:
    """``DELETE /lists/bulk``."""
    body = [{"id": int(list_id)} for list_id in list_ids]
    return Call(ApiRequest("DELETE", "lists/bulk", json=body), lambda r: None)


def _utc(value: datetime) -> str:
    return pyrus_json.format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC))


def get_calendar(
    start: datetime,
    end: datetime,
    *,
    item_count: int = 50,
    all_accessed_tasks: bool = False,
    filter_mask: int = 0b0111,
) -> Call[CalendarResponse]:
    """``GET /calendar``: tasks with a deadline in ``[start, end]``, each with its last
    comment; ``filter_mask`` bits: 1 ``due``, 2 ``due_date``, 4 step deadlines, 8 reminders."""
    params = (
        ("start_date_utc", _utc(start)),
        ("end_date_utc", _utc(end)),
        ("item_count", str(int(item_count))),
        ("all_accessed_tasks", _flag(all_accessed_tasks)),
        ("filter_mask", str(int(filter_mask))),
        ("include_meetings", "false"),
    )
    return Call(
        ApiRequest("GET", "calendar", params=params),
        lambda r: CalendarResponse.from_pyrus(json_body(r)),
    )


def get_tasks_by_approver(person_id: int) -> Call[TaskHeadersResponse]:
    """``GET /tasksbyapprover/{id}``: open tasks with that person as an approver."""
    return Call(
        ApiRequest("GET", f"tasksbyapprover/{int(person_id)}"),
        lambda r: TaskHeadersResponse.from_pyrus(json_body(r)),
    )


def _announcement(response: httpx.Response) -> Announcement:
    return AnnouncementResponse.from_pyrus(json_body(response)).announcement


def get_announcements(item_count: int = 100) -> Call[list[Announcement]]:
    """``GET /announcements``: the newest first, with their comments."""
    return Call(
        ApiRequest("GET", "announcements", params=(("item_count", str(int(item_count))),)),
        lambda r: AnnouncementsResponse.from_pyrus(json_body(r)).announcements,
    )


def get_announcement(announcement_id: int) -> Call[Announcement]:
    """``GET /announcements/{id}``."""
    return Call(ApiRequest("GET", f"announcements/{int(announcement_id)}"), _announcement)


def create_announcement(
    request: CreateAnnouncementRequest | Mapping[str, Any],
) -> Call[Announcement]:
    """``POST /announcements``: ``text`` and files uploaded before (``attachments``)."""
    return Call(
        ApiRequest("POST", "announcements", json=_body(request), idempotent=False), _announcement
    )


def comment_announcement(
    announcement_id: int, request: AnnouncementCommentRequest | Mapping[str, Any]
) -> Call[Announcement]:
    """``POST /announcements/{id}/comments``: answers the announcement with every comment."""
    path = f"announcements/{int(announcement_id)}/comments"
    return Call(ApiRequest("POST", path, json=_body(request), idempotent=False), _announcement)
