"""The sample workspace files of the tests, and the message of a broken copy."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyrus_bots.server.workspace import WorkspaceError, load_workspace_file

WORKSPACES = Path(__file__).parents[2] / "fixtures" / "workspaces"
MINIMAL = yaml.safe_load((WORKSPACES / "minimal.yaml").read_text())


def problem(tmp_path: Path, change: Any, name: str = "acme.yaml") -> str:
    """Write the minimal workspace changed by ``change`` and return the error message."""
    data = copy.deepcopy(MINIMAL)
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(path)
    message = str(error.value)
    assert re.match(rf"{re.escape(str(path))}(:\d+)?: ", message), message
    return message
