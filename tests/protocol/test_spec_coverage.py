"""Every key the spec lists is a declared, typed field of the matching model."""

from __future__ import annotations

import pytest

from pyrus_bots.protocol import (
    Bot,
    CommentRequest,
    CreateTaskRequest,
    FormFieldInfo,
    FormTemplate,
    Person,
    PyrusModel,
    Task,
    TaskComment,
    WebhookPayload,
)

SPEC_KEYS: list[tuple[type[PyrusModel], str]] = [
    # 1.3 webhook body
    (WebhookPayload, "task task_id access_token user_id bot_settings event"),
    # 2.2 comment request
    (
        CommentRequest,
        "text formatted_text subject approval_choice approval_steps action reassign_to "
        "participants_added participants_removed subscribers_added subscribers_removed "
        "subscribers_rerequested approvals_added approvals_removed approvals_rerequested "
        "field_updates attachments due_date due duration cancel_due scheduled_date "
        "scheduled_datetime_utc cancel_schedule added_list_ids removed_list_ids channel "
        "spent_minutes skip_satisfaction skip_notification skip_auto_reopen edit_comment_id",
    ),
    # 4.2 new task
    (
        CreateTaskRequest,
        "text formatted_text subject responsible participants due_date due duration form_id "
        "fields approvals fill_defaults parent_task_id attachments list_ids subscribers "
        "scheduled_date scheduled_datetime_utc",
    ),
    # 3.2 person
    (
        Person,
        "id first_name last_name email type status avatar_id external_avatar_id department_id "
        "department_name position phone mobile_phone banned fired task_receiver "
        "native_first_name native_last_name skype messenger rights external_id login_phone "
        "location personality personnel_number vacation_days",
    ),
    # 3.3 task
    (
        Task,
        "id text formatted_text subject create_date last_modified_date close_date author "
        "responsible participants due_date due duration scheduled_date scheduled_datetime_utc "
        "cancel_schedule form_id fields approvals subscribers current_step steps is_closed "
        "list_ids linked_task_ids parent_task_id last_note_id attachments",
    ),
    # 3.4 comment
    (
        TaskComment,
        "id text formatted_text mentions subject create_date author reassigned_to field_updates "
        "approval_choice approval_step reset_to_step changed_step reply_note_id approvals_added "
        "approvals_removed approvals_rerequested subscribers_added subscribers_removed "
        "subscribers_rerequested participants_added participants_removed due_date due duration "
        "scheduled_date scheduled_datetime_utc cancel_schedule attachments action "
        "added_list_ids removed_list_ids comment_as_roles channel edit_comment_id "
        "removed_attachment_ids delete_comment_id spent_minutes skip_satisfaction "
        "skip_notification skip_auto_reopen sms_info",
    ),
    # 3.6 form template and field info
    (FormTemplate, "id name steps fields print_forms deleted_or_closed business_owners folder"),
    (
        FormFieldInfo,
        "required_step immutable_step options catalog_id columns fields form_id code "
        "decimal_places multiple_choice multiline",
    ),
    # 3.10 bot
    (
        Bot,
        "id name external_id is_enabled fired hook_url description bot_settings avatar_id "
        "external_avatar_id version login rights send_only_last_comment locale time_zone_offset",
    ),
]


@pytest.mark.parametrize(("model", "keys"), SPEC_KEYS, ids=lambda x: getattr(x, "__name__", ""))
def test_spec_keys_are_declared(model: type[PyrusModel], keys: str) -> None:
    missing = set(keys.split()) - set(model.model_fields)
    assert not missing, f"{model.__name__} lacks {sorted(missing)}"


def test_comment_reads_reset_and_action() -> None:
    comment = TaskComment.from_pyrus(
        {"id": 1, "approval_choice": "rejected", "reset_to_step": 1, "action": "reopened"}
    )
    assert (comment.reset_to_step, comment.action) == (1, "reopened")
    assert comment.to_pyrus() == {
        "id": 1,
        "approval_choice": "rejected",
        "reset_to_step": 1,
        "action": "reopened",
    }


def test_equality_ignores_lookup_caches() -> None:
    data = {"id": 1, "fields": [{"id": 2, "type": "text", "value": "x"}]}
    warm, cold = Task.from_pyrus(data), Task.from_pyrus(data)
    assert warm.field(2) is not None
    assert warm == cold
    assert warm != Task.from_pyrus({"id": 1})
    assert warm.value(2) == "x"
    assert warm.value(3) is None
