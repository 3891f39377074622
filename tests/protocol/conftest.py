"""Shared fixtures: the JSON documents in tests/fixtures/protocol."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "protocol"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def fixture_json() -> Callable[[str], Any]:
    """Load a fixture by file name (a fresh copy each call)."""
    return load_fixture
