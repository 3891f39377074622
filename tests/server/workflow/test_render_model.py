"""The fast task writer (``render``) writes exactly what the protocol models describe.

Every rendered task (form task with every field type and every kind of comment, simple task,
register entry, webhook body with the last comment only) is parsed by the protocol model and
written back: the bytes must be the same, and no object anywhere may hold a key the model does
not describe (the models keep unknown keys, so this is checked apart). Field values are checked
through ``FormField.typed_value``: the typed value written back is the rendered value.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.fields import FormField, TableRow
from pyrus_bots.protocol.models.requests import parse_create_task_request
from pyrus_bots.protocol.models.responses import FormRegisterResponse, TaskResponse
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Directory

from .conftest import ALICE, BOB, BOT, CAROL, FORM, ROLE_FORM, T0, Flow, start
from .test_render import EVERY_VALUE


def undescribed(model: PyrusModel, path: str = "") -> Iterator[str]:
    """Paths of keys that ``model`` (at any depth, field values included) does not describe."""
    for key in model.model_extra or {}:
        yield f"{path}.{key}"
    for name, value in model:
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            for inner in item if isinstance(item, list) else [item]:
                if isinstance(inner, PyrusModel):
                    yield from undescribed(inner, f"{path}.{name}[{index}]")
    if isinstance(model, FormField):
        yield from _undescribed_value(model, path)


def _undescribed_value(field: FormField, path: str) -> Iterator[str]:
    typed = field.typed_value()
    models = typed if isinstance(typed, list) else [typed]
    if not all(isinstance(m, PyrusModel) for m in models):
        assert pyrus_json.to_jsonable(typed) == field.value, path
        return
    for index, model in enumerate(models):
        yield from undescribed(model, f"{path}.value[{index}]")
        if isinstance(model, TableRow):
            for cell in model.cells:
                yield from _undescribed_value(cell, f"{path}.value[{index}].cell{cell.id}")
    written = [m.to_pyrus() for m in models] if isinstance(typed, list) else typed.to_pyrus()
    assert written == field.value, path


def assert_model_writes_the_same(rendered: dict[str, Any], model: type[PyrusModel]) -> None:
    body = pyrus_json.dumps_clean(rendered)
    parsed = model.from_json(body)
    assert list(undescribed(parsed)) == []
    assert parsed.to_json() == body


def rich_flow(directory: Directory) -> Flow:
    """A form task through every kind of comment the engine records."""
    flow = start(directory, subscribers=[{"id": CAROL}], list_ids=[5])
    flow.comment(BOT, text="filled", field_updates=EVERY_VALUE, attachments=["G-2"])
    flow.comment(
        BOT,
        formatted_text="<b>due</b>",
        due="2026-04-10T12:00:00Z",
        duration=60,
        subscribers_added=[{"id": BOB}],
        approvals_added=[[], [{"id": CAROL}]],
        added_list_ids=[7],
        spent_minutes=15,
        channel={"type": "email", "to": "x@y.z"},
        skip_notification=True,
    )
    flow.comment(BOT, approval_choice="approved")
    flow.comment(ALICE, approval_choice="rejected", text="again")
    flow.comment(ALICE, reassign_to={"id": BOB}, scheduled_date="2026-05-01")
    flow.comment(ALICE, edit_comment_id=flow.comments[-1].id, text="edited")
    flow.comment(ALICE, action="finished")
    return flow


def test_form_task_with_every_field_type_and_comment_kind(directory: Directory) -> None:
    flow = rich_flow(directory)
    rendered = render_task(flow.directory, flow.task, flow.comments, files_url="http://f/")
    types = {f["type"] for f in rendered["fields"]}
    assert len(types) == 24
    assert_model_writes_the_same({"task": rendered}, TaskResponse)


@pytest.mark.parametrize("files_url", [None, "http://f/"])
def test_register_and_last_comment_forms(directory: Directory, files_url: str | None) -> None:
    flow = rich_flow(directory)
    task = render_task(flow.directory, flow.task, flow.comments, with_comments=False)
    assert_model_writes_the_same({"tasks": [task]}, FormRegisterResponse)
    last = render_task(
        flow.directory, flow.task, flow.comments, only_last_comment=True, files_url=files_url
    )
    assert_model_writes_the_same({"task": last}, TaskResponse)


def test_simple_task_and_role_form(directory: Directory) -> None:
    applied = engine.create_task(
        directory,
        directory.people[ALICE],
        parse_create_task_request(
            {
                "text": "hi",
                "subject": "Hello",
                "responsible": {"id": BOB},
                "participants": [{"id": CAROL}],
                "due_date": "2026-04-01",
                "attachments": ["G-1"],
            }
        ),
        T0,
        9,
    )
    rendered = render_task(directory, applied.task, [applied.comment], now=T0 + timedelta(1))
    assert_model_writes_the_same({"task": rendered}, TaskResponse)
    role_flow = start(directory, form_id=ROLE_FORM)
    rendered = render_task(directory, role_flow.task, role_flow.comments)
    assert_model_writes_the_same({"task": rendered}, TaskResponse)
    assert rendered["form_id"] == ROLE_FORM and FORM != ROLE_FORM
