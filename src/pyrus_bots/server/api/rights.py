"""Person rights the API checks (names as in the workspace file, spec 3.10 in snake case).

A bot holds the rights ``PUT /bots/{id}`` gave it, like a person; rights arrive in requests as
the number of PersonRights flags the C# and TypeScript clients send, or as a list of names.
"""

from __future__ import annotations

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.context import Caller
from pyrus_bots.server.tasks.member_changes import right_names

__all__ = [
    "MANAGE_INTEGRATIONS_AND_CATALOGS",
    "MANAGE_PERSONS_IN_ORGANIZATION",
    "MANAGE_ROLES",
    "require_right",
    "right_names",
]

MANAGE_INTEGRATIONS_AND_CATALOGS = "manage_integrations_and_catalogs"
MANAGE_PERSONS_IN_ORGANIZATION = "manage_persons_in_organization"
MANAGE_ROLES = "manage_roles"


def require_right(caller: Caller, right: str) -> None:
    """403 ``access_denied`` unless the caller (a person or a bot) holds ``right``."""
    if right not in caller.person.rights:
        raise PyrusError("access_denied", f"this needs the {right} right")
