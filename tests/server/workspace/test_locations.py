"""Reading workspace files: the file, line and path of each problem; YAML, JSON, syntax errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyrus_bots.server.workspace import (
    FIELD_TYPES,
    PERSON_RIGHTS,
    WorkspaceError,
    load_workspace_file,
)

from .samples import MINIMAL, WORKSPACES, problem


def test_the_fixture_files_are_valid() -> None:
    for name in ("minimal.yaml", "full.yaml", "minimal.json"):
        workspace = load_workspace_file(WORKSPACES / name)
        assert workspace.forms and workspace.source.endswith(name)
    assert len(FIELD_TYPES) == 24 and len(PERSON_RIGHTS) == 12


def test_messages_carry_the_line_of_the_problem(tmp_path: Path) -> None:
    source = (WORKSPACES / "minimal.yaml").read_text()
    path = tmp_path / "lines.yaml"
    path.write_text(source.replace("approvers: [1001]", "approvers: [1001, 99]"))
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(path)
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "approvers: [1001]" in text)
    assert str(error.value) == (
        f"{path}:{line}: forms[0].steps[1].approvers[1]: no person, bot or role with id 99 "
        "in this file"
    )
    assert error.value.problems == [
        ("forms[0].steps[1].approvers[1]", "no person, bot or role with id 99 in this file")
    ]


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("organization: {id: 1, name: Acme\npeople: []\n")
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(bad_yaml)
    assert str(error.value).startswith(f"{bad_yaml}: invalid YAML at line ")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"organization": {"id": 1,}}')
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(bad_json)
    assert str(error.value).startswith(f"{bad_json}: invalid JSON at line 1, column ")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(WorkspaceError, match="cannot read the file"):
        load_workspace_file(missing)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(WorkspaceError, match="must hold a mapping"):
        load_workspace_file(listed)


def test_json_workspace_without_extension_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "workspace"
    path.write_text(json.dumps(MINIMAL))
    assert load_workspace_file(path).spec.organization.name == "Acme"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def two(d: dict[str, Any]) -> None:
        d["forms"][0]["steps"][1]["approvers"] = [9999]
        d["forms"][0]["fields"][2].pop("options")

    message = problem(tmp_path, two)
    assert len(message.splitlines()) == 2
