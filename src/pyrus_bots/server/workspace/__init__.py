"""The declarative workspace file (DESIGN.md 3.2): read it, check it, and apply it to the store.

``load_workspace_file(path)`` reads YAML or JSON and returns a validated ``Workspace``; any problem
raises ``WorkspaceError`` whose message names the file, the path inside it
(``forms[0].steps[1].approvers[0]``) and what is wrong, one line per problem.
``apply_workspace(session, workspace)`` writes it idempotently through the store.

- ``schema``: the file's objects and the values each key takes
- ``locations``: parsing YAML/JSON and the line of each problem
- ``references``, ``checks``, ``forms``: the checks that need the whole file
- ``read``: file -> ``Workspace``; ``apply``: ``Workspace`` -> database
- ``errors``: ``WorkspaceError`` and the ``file:line: path: problem`` lines
"""

from pyrus_bots.server.workspace.apply import Changes, apply_workspace
from pyrus_bots.server.workspace.errors import WorkspaceError, format_path
from pyrus_bots.server.workspace.locations import locate_paths
from pyrus_bots.server.workspace.read import Workspace, load_workspace_file, parse_workspace
from pyrus_bots.server.workspace.schema import FIELD_TYPES, PERSON_RIGHTS

__all__ = [
    "FIELD_TYPES",
    "PERSON_RIGHTS",
    "Changes",
    "Workspace",
    "WorkspaceError",
    "apply_workspace",
    "format_path",
    "load_workspace_file",
    "locate_paths",
    "parse_workspace",
]
