"""Shared helpers for the SDK tests: a typical form task and a bot served on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from pyrus_bots.testing import Form, make_form, make_task, typed
from pyrus_bots.testing.fake_api import FakePyrusAPI

SECRET = "test-secret-1f3a"
STATUS_OPTIONS = ["New", "Approved", "Rejected"]


def purchase_form() -> Form:
    """The form of :func:`purchase_task`: what ``GET /v4/forms/321`` answers."""
    return make_form(
        321,
        fields={
            "u_item": "text",
            "u_amount": typed("money", name="Amount"),
            "u_status": typed("multiple_choice", name="Status", options=STATUS_OPTIONS),
            "u_due": typed("date", name="Due"),
            "u_urgent": typed("checkmark", name="Urgent"),
            "u_cc": typed("catalog", name="Cost center", catalog_id=4001),
            "u_owner": typed("person", name="Owner"),
            "u_note": typed("note", name="Hint"),
        },
        steps=2,
    )


@pytest.fixture
def pyrus_api() -> FakePyrusAPI:
    """The fake API of the SDK tests: it serves the purchase form's template."""
    fake = FakePyrusAPI()
    fake.add_form(purchase_form())
    return fake


def purchase_task(**overrides: Any) -> dict[str, Any]:
    """A purchase request on step 1 of form 321 with fields of several types."""
    options: dict[str, Any] = {
        "form_id": 321,
        "step": 1,
        "steps": 2,
        "fields": {
            "u_item": "Printer",
            "u_amount": typed("money", 1500, name="Amount"),
            "u_status": typed("multiple_choice", "New", name="Status", options=STATUS_OPTIONS),
            "u_due": typed("date", None, name="Due"),
            "u_urgent": typed("checkmark", False, name="Urgent"),
            "u_cc": typed("catalog", None, name="Cost center"),
            "u_owner": typed("person", None, name="Owner"),
            "u_note": typed("note", "Read me", name="Hint"),
        },
    }
    options.update(overrides)
    return make_task(**options)


@pytest.fixture
def task() -> dict[str, Any]:
    return purchase_task()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def fake_api_url() -> Iterator[tuple[Any, str]]:
    """A FakePyrusAPI served by uvicorn on loopback: (fake, base URL of /v4/)."""
    from pyrus_bots.testing.fake_api import FakePyrusAPI

    fake = FakePyrusAPI()
    with fake.serve_in_thread() as base:
        yield fake, base + "/v4/"
