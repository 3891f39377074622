"""Every API v4 endpoint the client offers, as a :class:`Call`: request shape plus parser.

Both clients build their calls here, so paths, parameters and answer envelopes are written
once. Requests given as protocol models are serialized with their Pyrus form; plain dicts are
sent as they are (empty keys omitted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any, Literal

import httpx

from pyrus_bots.bot.client.core import ApiRequest, Call, json_body, json_or_none
from pyrus_bots.protocol import (
    Bot,
    BotsResponse,
    Catalog,
    CatalogInfo,
    CatalogsResponse,
    CatalogSyncResponse,
    CommentRequest,
    ContactsResponse,
    CreateTaskRequest,
    FormRegisterResponse,
    FormsResponse,
    FormTemplate,
    InboxResponse,
    MembersResponse,
    Organization,
    Person,
    Profile,
    Role,
    RolesResponse,
    Task,
    TaskHeadersResponse,
    TaskList,
    TaskListsResponse,
    TaskResponse,
    TaskWithComments,
    UploadResponse,
    pyrus_json,
)

__all__ = [
    "CatalogFilters",
    "FileData",
    "comment_task",
    "create_catalog",
    "create_task",
    "diff_catalog",
    "download_file",
    "get_bots",
    "get_catalog",
    "get_catalogs",
    "get_contacts",
    "get_form",
    "get_forms",
    "get_inbox",
    "get_lists",
    "get_member",
    "get_members",
    "get_profile",
    "get_registry",
    "get_roles",
    "get_task",
    "get_task_list",
    "register_body",
    "request",
    "sync_catalog",
    "upload_file",
]

FileData = bytes | bytearray | memoryview | IO[bytes]
CatalogFilters = Mapping[str, str] | Sequence[tuple[str, str]]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _filter_value(value: Any) -> Any:
    """A register filter or parameter in the form Pyrus reads."""
    if isinstance(value, datetime):
        return pyrus_json.format_datetime(value)
    if isinstance(value, date):
        return pyrus_json.format_date(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(_filter_value(item)) for item in value)
    return value


def _ids(value: int | Iterable[int]) -> list[int]:
    return [value] if isinstance(value, int) else [int(item) for item in value]


def register_body(
    request: Mapping[str, Any] | None = None,
    *,
    steps: int | Iterable[int] | None = None,
    task_ids: int | Iterable[int] | None = None,
    field_ids: int | Iterable[int] | None = None,
    include_archived: bool = False,
    field_filters: Mapping[int, Any] | None = None,
    **filters: Any,
) -> dict[str, Any]:
    """The JSON body of ``POST /forms/{id}/register``.

    ``steps``, ``task_ids`` and ``field_ids`` become int lists; ``field_filters`` maps field
    ids to the Pyrus filter grammar (``"gt10"``, ``"gt1,lt5"``, ``"empty"``, ``"*"``, a value
    or a list of values); other keyword arguments (``fld5=...``, ``modified_after=datetime``,
    ``item_count``, ``due_filter``, ...) are sent as given, dates in Pyrus format.
    """
    body: dict[str, Any] = dict(request or {})
    if steps is not None:
        body["steps"] = _ids(steps)
    if task_ids is not None:
        body["task_ids"] = _ids(task_ids)
    if field_ids is not None:
        body["field_ids"] = _ids(field_ids)
    if include_archived:
        body["include_archived"] = True
    for field_id, condition in (field_filters or {}).items():
        body[f"fld{int(field_id)}"] = _filter_value(condition)
    for key, value in filters.items():
        if value is not None:
            body[key] = _filter_value(value)
    return body


def _task(response: httpx.Response) -> TaskWithComments:
    return TaskResponse.from_pyrus(json_body(response)).task


def get_task(task_id: int) -> Call[TaskWithComments]:
    """``GET /tasks/{id}``: the task with all its comments."""
    return Call(ApiRequest("GET", f"tasks/{int(task_id)}"), _task)


def comment_task(
    task_id: int, comment: CommentRequest | Mapping[str, Any]
) -> Call[TaskWithComments]:
    """``POST /tasks/{id}/comments``; returns the task including the new comment."""
    body = comment.to_pyrus() if isinstance(comment, CommentRequest) else dict(comment)
    request = ApiRequest("POST", f"tasks/{int(task_id)}/comments", json=body, idempotent=False)
    return Call(request, _task)


def create_task(task: CreateTaskRequest | Mapping[str, Any]) -> Call[TaskWithComments]:
    """``POST /tasks``: a simple task (``text``) or a form task (``form_id``)."""
    body = task.to_pyrus() if isinstance(task, CreateTaskRequest) else dict(task)
    return Call(ApiRequest("POST", "tasks", json=body, idempotent=False), _task)


def get_forms() -> Call[list[FormTemplate]]:
    """``GET /forms``."""
    return Call(ApiRequest("GET", "forms"), lambda r: FormsResponse.from_pyrus(json_body(r)).forms)


def get_form(form_id: int) -> Call[FormTemplate]:
    """``GET /forms/{id}``."""
    return Call(
        ApiRequest("GET", f"forms/{int(form_id)}"),
        lambda r: FormTemplate.from_pyrus(json_body(r)),
    )


def get_registry(
    form_id: int,
    request: Mapping[str, Any] | None = None,
    *,
    format: Literal["json", "csv"] = "json",
    steps: int | Iterable[int] | None = None,
    task_ids: int | Iterable[int] | None = None,
    field_ids: int | Iterable[int] | None = None,
    include_archived: bool = False,
    field_filters: Mapping[int, Any] | None = None,
    **filters: Any,
) -> Call[list[Task]] | Call[str]:
    """``POST /forms/{id}/register``: the form's tasks (without comments), or the CSV text
    with ``format="csv"``. Filters: see :func:`register_body` (e.g. ``steps=[2]``,
    ``field_filters={5: "gt100"}``, ``fld7="empty"``)."""
    body = register_body(
        request,
        steps=steps,
        task_ids=task_ids,
        field_ids=field_ids,
        include_archived=include_archived,
        field_filters=field_filters,
        **filters,
    )
    path = f"forms/{int(form_id)}/register"
    if format == "csv":
        return Call(ApiRequest("POST", path, json={**body, "format": "csv"}), _text)
    return Call(
        ApiRequest("POST", path, json=body),
        lambda r: FormRegisterResponse.from_pyrus(json_body(r)).tasks,
    )


def _text(response: httpx.Response) -> str:
    return response.text


def get_catalogs() -> Call[list[CatalogInfo]]:
    """``GET /catalogs``."""
    return Call(
        ApiRequest("GET", "catalogs"),
        lambda r: CatalogsResponse.from_pyrus(json_body(r)).catalogs,
    )


def get_catalog(
    catalog_id: int,
    *,
    include_deleted: bool = False,
    filters: CatalogFilters | None = None,
    use_wildcard: bool = False,
) -> Call[Catalog]:
    """``GET /catalogs/{id}``; ``filters`` = {column: value} (several pairs allowed) keeps the
    items whose ``column`` equals ``value``."""
    params: list[tuple[str, str]] = [("include_deleted", _flag(include_deleted))]
    pairs = filters.items() if isinstance(filters, Mapping) else (filters or ())
    for column, value in pairs:
        params += [("column", str(column)), ("value", str(value))]
    if use_wildcard:
        params.append(("use_wildcard", "true"))
    return Call(
        ApiRequest("GET", f"catalogs/{int(catalog_id)}", params=tuple(params)),
        lambda r: Catalog.from_pyrus(json_body(r)),
    )


def _items(rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [{"values": [str(value) for value in row]} for row in rows]


def create_catalog(
    name: str, headers: Sequence[str], items: Iterable[Sequence[Any]] = ()
) -> Call[Catalog]:
    """``PUT /catalogs``: a new catalog with these column headers and item rows."""
    body = {"name": name, "catalog_headers": list(headers), "items": _items(items)}
    return Call(
        ApiRequest("PUT", "catalogs", json=body, idempotent=False),
        lambda r: Catalog.from_pyrus(json_body(r)),
    )


def _sync_result(response: httpx.Response) -> CatalogSyncResponse:
    return CatalogSyncResponse.from_pyrus(json_body(response))


def sync_catalog(
    catalog_id: int,
    headers: Sequence[str],
    items: Iterable[Sequence[Any]],
    *,
    apply: bool = True,
    force_update_first_column: bool = False,
) -> Call[CatalogSyncResponse]:
    """``POST /catalogs/{id}``: replace all items (unlisted ones are deleted)."""
    body: dict[str, Any] = {
        "apply": apply,
        "catalog_headers": list(headers),
        "items": _items(items),
    }
    if force_update_first_column:
        body["force_update_first_column"] = True
    return Call(ApiRequest("POST", f"catalogs/{int(catalog_id)}", json=body), _sync_result)


def diff_catalog(
    catalog_id: int,
    *,
    upsert: Iterable[Sequence[Any]] = (),
    delete: Iterable[str] = (),
) -> Call[CatalogSyncResponse]:
    """``POST /catalogs/{id}/diff``: upsert and delete items keyed by the first column."""
    body = {"upsert": _items(upsert), "delete": [str(key) for key in delete]}
    return Call(ApiRequest("POST", f"catalogs/{int(catalog_id)}/diff", json=body), _sync_result)


def upload_file(
    name: str, data: FileData, content_type: str = "application/octet-stream"
) -> Call[UploadResponse]:
    """``POST <api_url>files/upload`` (multipart part ``file``); attach the answer's ``guid``
    to a comment. A file object is read whole, so that a retry can send the same bytes again."""
    content = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else data.read()
    request = ApiRequest("POST", "files/upload", upload=(name, content, content_type))
    return Call(request, lambda r: UploadResponse.from_pyrus(json_body(r)))


def _file_bytes(response: httpx.Response) -> bytes:
    return response.content


def download_file(file_id: int) -> Call[bytes]:
    """``GET <files_url>services/attachment?Id=<id>``: the file's bytes."""
    request = ApiRequest(
        "GET",
        "services/attachment",
        base="files",
        params=(("Id", str(int(file_id))),),
        status_codes=((403, "access_denied_file"), (404, "file_is_missing")),
    )
    return Call(request, _file_bytes)


def get_contacts(include_inactive: bool = False) -> Call[list[Organization]]:
    """``GET /contacts``: organizations with their persons and roles."""
    request = ApiRequest("GET", "contacts", params=(("include_inactive", _flag(include_inactive)),))
    return Call(request, lambda r: ContactsResponse.from_pyrus(json_body(r)).organizations)


def get_members() -> Call[list[Person]]:
    """``GET /members``."""
    return Call(
        ApiRequest("GET", "members"), lambda r: MembersResponse.from_pyrus(json_body(r)).members
    )


def get_member(person_id: int) -> Call[Person]:
    """``GET /members/{id}``."""
    return Call(
        ApiRequest("GET", f"members/{int(person_id)}"),
        lambda r: Person.from_pyrus(json_body(r)),
    )


def get_roles() -> Call[list[Role]]:
    """``GET /roles``."""
    return Call(ApiRequest("GET", "roles"), lambda r: RolesResponse.from_pyrus(json_body(r)).roles)


def get_profile() -> Call[Profile]:
    """``GET /profile``: who the token belongs to."""
    return Call(ApiRequest("GET", "profile"), lambda r: Profile.from_pyrus(json_body(r)))


def get_inbox(item_count: int = 50, group_item_count: int = 50) -> Call[InboxResponse]:
    """``GET /inbox``: tasks waiting for the caller."""
    params = (("item_count", str(int(item_count))), ("group_item_count", str(group_item_count)))
    return Call(
        ApiRequest("GET", "inbox", params=params),
        lambda r: InboxResponse.from_pyrus(json_body(r)),
    )


def get_lists() -> Call[list[TaskList]]:
    """``GET /lists``."""
    return Call(
        ApiRequest("GET", "lists"), lambda r: TaskListsResponse.from_pyrus(json_body(r)).lists
    )


def get_task_list(
    list_id: int,
    *,
    item_count: int = 200,
    include_archived: bool = False,
    **filters: Any,
) -> Call[TaskHeadersResponse]:
    """``GET /lists/{id}/tasks``; ``filters``: ``modified_before``/``_after``,
    ``created_before``/``_after``, ``closed_before``/``_after`` (datetimes or strings)."""
    params: list[tuple[str, str]] = [("item_count", str(int(item_count)))]
    if include_archived:
        params.append(("include_archived", "y"))
    for key, value in filters.items():
        if value is not None:
            params.append((key, str(_filter_value(value))))
    return Call(
        ApiRequest("GET", f"lists/{int(list_id)}/tasks", params=tuple(params)),
        lambda r: TaskHeadersResponse.from_pyrus(json_body(r)),
    )


def get_bots() -> Call[list[Bot]]:
    """``GET /bots``."""
    return Call(ApiRequest("GET", "bots"), lambda r: BotsResponse.from_pyrus(json_body(r)).bots)


def request(
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, str] | None = None,
) -> Call[Any]:
    """Any other API call: ``path`` relative to ``api_url`` (``"tasks/5"``); returns the
    decoded JSON answer (None for an empty body). Only GET, PUT and DELETE are retried
    after the server may have seen the request."""
    verb = method.upper()
    call = ApiRequest(
        verb,
        path.lstrip("/"),
        params=tuple((params or {}).items()),
        json=json,
        idempotent=verb in {"GET", "PUT", "DELETE"},
    )
    return Call(call, json_or_none)
