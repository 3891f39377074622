"""What the fake API models: the rough workflow, validation errors, recording, faults."""

from __future__ import annotations

import httpx
import pytest

from pyrus_bots.bot.client import AsyncPyrusClient, PyrusAPIError, PyrusClient
from pyrus_bots.testing.fake_api import FakePyrusAPI

from .conftest import seeded_fake

MANAGER = 1001


def approve_as(fake: FakePyrusAPI, person_id: int) -> str:
    return fake.issue_token(person_id)


async def test_documented_example() -> None:
    fake = FakePyrusAPI()
    fake.add_form(
        {
            "id": 321,
            "name": "Purchase",
            "steps": {"1": "Bot", "2": "Manager"},
            "fields": [{"id": 1, "code": "u_amount", "name": "Amount", "type": "money"}],
        }
    )
    fake.add_task(
        {
            "id": 5,
            "form_id": 321,
            "fields": [{"id": 1, "code": "u_amount", "type": "money", "value": 120}],
            "approvals": [[{"person": fake.bot}], []],
        }
    )
    async with fake.async_client() as api:
        task = await api.get_task(5)
        assert task.field("u_amount").value == 120  # type: ignore[union-attr]
        await api.comment_task(5, {"text": "OK", "approval_choice": "approved"})
    assert fake.comments(5) == [{"text": "OK", "approval_choice": "approved"}]
    assert fake.task(5)["current_step"] == 2
    assert [(c.method, c.path) for c in fake.calls] == [
        ("GET", "/v4/tasks/5"),
        ("POST", "/v4/tasks/5/comments"),
    ]


async def test_workflow_reject_then_approve_to_close() -> None:
    fake = seeded_fake()
    async with fake.async_client() as bot:
        await bot.comment_task(5, {"approval_choice": "approved"})
    assert fake.task(5)["current_step"] == 2
    async with fake.async_client(approve_as(fake, MANAGER)) as manager:
        task = await manager.comment_task(5, {"text": "No", "approval_choice": "rejected"})
        assert (task.current_step, task.comments[-1].reset_to_step) == (1, 1)
        assert task.comments[-1].author.id == MANAGER  # type: ignore[union-attr]
    async with fake.async_client() as bot:
        task = await bot.comment_task(5, {"approval_choice": "approved"})
        assert task.comments[-1].changed_step == 2
    async with fake.async_client(approve_as(fake, MANAGER)) as manager:
        task = await manager.comment_task(5, {"approval_choice": "approved"})
    assert task.is_closed is True
    assert task.close_date is not None


async def test_reassign_subject_and_field_by_name() -> None:
    fake = seeded_fake()
    async with fake.async_client() as api:
        task = await api.comment_task(
            5,
            {
                "subject": "Urgent",
                "reassign_to": {"email": "alice@acme.test"},
                "field_updates": [{"name": "Amount", "value": 99}],
            },
        )
    assert task.subject == "Urgent"
    assert task.responsible.id == MANAGER  # type: ignore[union-attr]
    assert task.comments[-1].reassigned_to.id == MANAGER  # type: ignore[union-attr]
    assert task.field("u_amount").value == 99  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("comment", "code"),
    [
        ({"text": "a", "formatted_text": "<b>a</b>"}, "both_text_and_formatted_text_specified"),
        (
            {"due": "2026-01-01T00:00:00Z", "due_date": "2026-01-01"},
            "either_due_date_or_due_can_be_set",
        ),
        ({"field_updates": [{"name": "Nope", "value": 1}]}, "invalid_field_name"),
        ({"field_updates": [{"code": "u_nope", "value": 1}]}, "invalid_field_code"),
        ({"approval_choice": "maybe"}, "validation_error"),
        ({"attachments": [{"guid": "unknown"}]}, "unrecognized_attachment_id"),
    ],
)
async def test_bad_comments_are_pyrus_errors(comment: dict[str, object], code: str) -> None:
    fake = seeded_fake()
    async with fake.async_client() as api:
        with pytest.raises(PyrusAPIError) as caught:
            await api.comment_task(5, comment)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert fake.comments(5) == []


async def test_tokens_missing_strict_and_auth_by_get() -> None:
    fake = FakePyrusAPI(accept_any_token=False)
    fake.add_account("bot@abc", "KEY-1234")
    async with fake.async_client("made-up-token") as api:
        with pytest.raises(PyrusAPIError) as caught:
            await api.get_profile()
    assert caught.value.code == "invalid_token"
    async with AsyncPyrusClient.for_platform(
        "http://fake-pyrus",
        login="bot@abc",
        security_key="KEY-1234",
        transport=httpx.ASGITransport(app=fake),
    ) as api:
        assert (await api.get_profile()).person_id == fake.bot["id"]
        legacy = await api.request(
            "GET", "auth", params={"login": "bot@abc", "security_key": "KEY-1234"}
        )
        assert legacy["access_token"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as raw:
        answer = await raw.get("http://fake-pyrus/v4/tasks/1")
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "token_not_specified"


def test_served_over_http_for_the_sync_client() -> None:
    fake = seeded_fake()
    fake.fail_next("GET", "/api/v4/forms", 500, times=1)
    with (
        fake.serve_in_thread() as base_url,
        PyrusClient("tok-1234", api_url=f"{base_url}/api/v4/", retry_backoff=0.01) as api,
    ):
        assert [form.id for form in api.get_forms()] == [321]  # on-premise layout, one retry
    assert [c.path for c in fake.calls] == ["/api/v4/forms", "/api/v4/forms"]


async def test_fake_in_process_through_asgi_transport() -> None:
    fake = FakePyrusAPI()
    fake.add_task({"id": 9, "text": "in process"})
    async with AsyncPyrusClient(
        "token-in-process",
        api_url="http://fake/v4/",
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        task = await client.comment_task(9, {"text": "done", "action": "finished"})
    assert task.is_closed is True
    async with fake.async_client() as shortcut:
        reopened = await shortcut.comment_task(9, {"text": "again"})
    assert reopened.is_closed is False  # a comment reopens a closed task
    assert fake.comments(9) == [{"text": "done", "action": "finished"}, {"text": "again"}]
    assert [call.path for call in fake.calls] == ["/v4/tasks/9/comments"] * 2
    assert all("authorization" not in call.headers for call in fake.calls)
