"""Documented request bodies of the API.

These models describe the JSON bodies in ``/openapi.json`` and guard their top-level types
(:func:`pyrus_bots.server.api.body.check_shape`); handlers pass the original dict on, so keys
not listed here (``fld<N>`` register filters, future Pyrus keys) still reach the engine.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class PersonIdentity(_Body):
    id: int | None = None
    email: str | None = None


class NewFile(_Body):
    guid: str | None = None
    root_id: int | None = None
    attachment_id: int | None = None
    url: str | None = None
    name: str | None = None


class FieldUpdate(_Body):
    id: int | None = None
    code: str | None = None
    name: str | None = None
    value: Any = None


class AuthRequest(_Body):
    login: str
    security_key: str
    person_id: int | None = None


class _TextBody(_Body):
    """The text keys a comment and a new task share, first in both bodies."""

    text: str | None = None
    formatted_text: str | None = None
    subject: str | None = None


class TaskCommentRequest(_TextBody):
    approval_choice: Literal["approved", "rejected", "acknowledged", "revoked"] | None = None
    approval_steps: list[int] | None = None
    action: Literal["finished", "reopened"] | None = None
    reassign_to: PersonIdentity | None = None
    participants_added: list[PersonIdentity] | None = None
    participants_removed: list[PersonIdentity] | None = None
    subscribers_added: list[PersonIdentity] | None = None
    subscribers_removed: list[PersonIdentity] | None = None
    subscribers_rerequested: list[PersonIdentity] | None = None
    approvals_added: list[list[PersonIdentity]] | None = None
    approvals_removed: list[list[PersonIdentity]] | None = None
    approvals_rerequested: list[list[PersonIdentity]] | None = None
    field_updates: list[FieldUpdate] | None = None
    attachments: list[NewFile | str] | None = None
    due_date: str | None = None
    due: str | None = None
    duration: int | None = None
    cancel_due: bool | None = None
    scheduled_date: str | None = None
    scheduled_datetime_utc: str | None = None
    cancel_schedule: bool | None = None
    added_list_ids: list[int] | None = None
    removed_list_ids: list[int] | None = None
    channel: dict[str, Any] | None = None
    spent_minutes: int | None = None
    skip_satisfaction: bool | None = None
    skip_notification: bool | None = None
    skip_auto_reopen: bool | None = None
    edit_comment_id: int | None = None


class BulkComment(TaskCommentRequest):
    task_id: int = Field(ge=1, le=2**63 - 1)


class BulkCommentsRequest(_Body):
    comments: list[BulkComment]
    no_tasks_in_response: bool | None = None


class CreateTaskRequest(_TextBody):
    parent_task_id: int | None = None
    responsible: PersonIdentity | None = None
    participants: list[PersonIdentity] | None = None
    subscribers: list[PersonIdentity] | None = None
    due_date: str | None = None
    due: str | None = None
    duration: int | None = None
    scheduled_date: str | None = None
    scheduled_datetime_utc: str | None = None
    form_id: int | None = None
    fields: list[FieldUpdate] | None = None
    approvals: list[list[PersonIdentity]] | None = None
    fill_defaults: bool | None = None
    attachments: list[NewFile | str] | None = None
    list_ids: list[int] | None = None


class RegisterRequest(_Body):
    """Register filters; ``fld<field id>`` and ``id`` keys take the filter grammar of spec 4.3."""

    steps: list[int] | str | None = None
    task_ids: list[int] | str | None = None
    field_ids: list[int] | str | None = None
    include_archived: bool | str | None = None
    modified_before: str | None = None
    modified_after: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    closed_before: str | None = None
    closed_after: str | None = None
    item_count: int | None = None
    format: Literal["json", "csv"] | None = None
    delimiter: str | None = None
    simple_format: bool | None = None
    encoding: str | None = None
    due_filter: str | dict[str, Any] | None = None
    sort: str | None = None
    include_text: str | None = None


class TaskListRequest(_Body):
    include_archived: bool | str | None = None
    modified_before: str | None = None
    modified_after: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    closed_before: str | None = None
    closed_after: str | None = None
    item_count: int | None = None


class CatalogItemIn(_Body):
    values: list[str]


class CreateCatalogRequest(_Body):
    name: str
    catalog_headers: list[str]
    items: list[CatalogItemIn] | None = None
    source_type: str | None = None


class SyncCatalogRequest(_Body):
    apply: bool | None = None
    catalog_headers: list[str]
    items: list[CatalogItemIn] | None = None
    force_update_first_column: bool | None = None


class CatalogDiffRequest(_Body):
    upsert: list[CatalogItemIn] | None = None
    delete: list[str] | None = None


class _BotFields(_Body):
    name: str | None = None
    hook_url: str | None = None
    external_id: str | None = None
    description: str | None = None
    bot_settings: str | None = None
    is_enabled: bool | None = None
    send_only_last_comment: bool | None = None


class CreateBotRequest(_BotFields):
    # Re-declared to make it required; an overridden field keeps its place in the schema.
    name: str


class UpdateBotRequest(_BotFields):
    rights: list[str] | int | None = None
    locale: str | None = None
    time_zone_offset: int | None = None


class DeleteBotRequest(_Body):
    task_receiver_id: int | None = None


class PermissionsRequest(_Body):
    permissions: dict[str, str]


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with ``$defs`` references inlined (for ``openapi_extra``)."""
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body of this model."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": inline_schema(model)}},
        }
    }
