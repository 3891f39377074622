"""The official ``pyrus-api`` client reads what we write, and we read what it writes.

Its parser is strict (exact date formats, no nulls), so this guards the Pyrus JSON rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from pyrus_bots.protocol import (
    Catalog,
    CatalogCreateRequest,
    CatalogDiffRequest,
    CatalogSyncRequest,
    FormTemplate,
    WebhookPayload,
    parse_comment_request,
    parse_create_task_request,
    pyrus_json,
)

pyrus_client = pytest.importorskip("pyrus.client", reason="pyrus-api (dev extra) not installed")
from pyrus.models import entities, requests, responses  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:keys will default:DeprecationWarning")


@pytest.fixture
def payload(fixture_json: Callable[[str], Any]) -> WebhookPayload:
    return WebhookPayload.from_pyrus(fixture_json("webhook_form_task.json"))


def test_official_client_parses_our_task(payload: WebhookPayload) -> None:
    body = orjson.loads(pyrus_json.dumps({"task": payload.task}))
    parsed = responses.TaskResponse(**body)
    task = parsed.task
    assert task.id == 5600
    assert task.create_date == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert task.current_step == 2
    assert len(task.comments) == 4
    assert task.comments[1].changed_step == 2
    assert task.comments[3].due == datetime(2024, 2, 20, 12, tzinfo=UTC)
    by_id = {field.id: field for field in task.flat_fields}
    assert by_id[5].value.hour == 14
    assert by_id[14].value == datetime(2024, 1, 10, tzinfo=UTC)
    assert by_id[28].value == datetime(2024, 2, 11, 17, tzinfo=UTC)
    assert by_id[28].duration == 60
    assert isinstance(by_id[20].value, entities.Table)
    assert by_id[20].value[2].deleted is True
    assert isinstance(by_id[16].value, entities.CatalogItem)
    assert by_id[16].value.item_ids == [7001]
    assert by_id[24].value == "1 Main St"  # a title child, found by the client's flattening
    assert by_id[30].value == "SN-42"  # a field attached to a chosen option


def test_official_client_parses_our_form_and_catalog(
    fixture_json: Callable[[str], Any],
) -> None:
    form = FormTemplate.from_pyrus(fixture_json("form_template.json"))
    parsed_form = responses.FormResponse(**form.to_pyrus())
    assert parsed_form.steps == {"1": "Automatic check", "2": "Manager", "4": "Accounting"}
    assert [field.id for field in parsed_form.fields][:2] == [1, 2]
    catalog = Catalog.from_pyrus(fixture_json("catalog.json"))
    parsed_catalog = responses.CatalogResponse(**catalog.to_pyrus())
    assert [item.values[0] for item in parsed_catalog.items] == ["CC1", "CC2", "CC3"]


def serialized(request: Any) -> bytes:
    api = pyrus_client.PyrusAPI(access_token="unused")
    data: bytes = api.serialize_request(request)
    return data


def test_we_parse_the_official_clients_comment() -> None:
    request = requests.TaskCommentRequest(
        text="done",
        approval_choice="approved",
        approval_steps=[1],
        action="finished",
        reassign_to=7,
        attachments=["G-1"],
        participants_added=[5, "x@y.z"],
        approvals_added=[[], [1001, "carol@acme.test"]],
        field_updates=[
            {"id": 1, "value": "new"},
            {"name": "T", "value": "z"},
            entities.FormField(id=13, type="status", value="open"),
        ],
        due=datetime(2024, 3, 1, 10, 30),
        duration=30,
        spent_minutes=5,
        skip_auto_reopen=True,
    )
    parsed = parse_comment_request(serialized(request))
    assert parsed.text == "done"
    assert parsed.approval_choice == "approved"
    assert parsed.reassign_to is not None
    assert parsed.reassign_to.id == 7
    assert [[p.id or p.email for p in step] for step in parsed.approvals_added] == [
        [],
        [1001, "carol@acme.test"],
    ]
    assert parsed.due == datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
    assert [(u.id, u.name, u.has_value) for u in parsed.field_updates] == [
        (1, None, True),
        (None, "T", True),
        (13, None, False),  # read-only types are sent without a value
    ]


def test_we_parse_the_official_clients_new_task() -> None:
    request = requests.CreateTaskRequest(
        form_id=321,
        fields=[{"id": 1, "value": "Printer"}],
        approvals=[[2001], [1001]],
        subscribers=[1004],
        due_date=datetime(2024, 2, 1),
    )
    parsed = parse_create_task_request(serialized(request))
    assert parsed.form_id == 321
    assert parsed.fields[0].value == "Printer"
    assert parsed.approvals[0][0].id == 2001
    assert parsed.due_date is not None
    assert parsed.due_date.isoformat() == "2024-02-01"


def test_we_parse_the_official_clients_catalog_requests() -> None:
    sync = requests.SyncCatalogRequest(
        apply=True, catalog_headers=["Code", "Name"], items=[["CC1", "Marketing"]]
    )
    parsed_sync = CatalogSyncRequest.from_pyrus(orjson.loads(serialized(sync)))
    assert parsed_sync.apply is True
    # The client leaves ``apply`` out when it is False: a missing apply means "preview".
    preview = requests.SyncCatalogRequest(apply=False, catalog_headers=["Code"], items=[["A"]])
    assert CatalogSyncRequest.from_pyrus(orjson.loads(serialized(preview))).apply is None
    assert parsed_sync.header_names() == ["Code", "Name"]
    assert [item.values for item in parsed_sync.items] == [["CC1", "Marketing"]]

    create = requests.CreateCatalogRequest(
        name="Cost centers", catalog_headers=["Code"], items=[["CC1"], ["CC2"]]
    )
    parsed_create = CatalogCreateRequest.from_pyrus(orjson.loads(serialized(create)))
    assert parsed_create.name == "Cost centers"
    assert [item.key for item in parsed_create.items] == ["CC1", "CC2"]

    diff = requests.UpdateCatalogItemsRequest(upsert=[["CC3", "Ops"]], delete=["CC1"])
    parsed_diff = CatalogDiffRequest.from_pyrus(orjson.loads(serialized(diff)))
    assert [item.values for item in parsed_diff.upsert] == [["CC3", "Ops"]]
    assert parsed_diff.delete == ["CC1"]
