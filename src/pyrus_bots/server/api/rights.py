"""Person rights the API checks (names as in the workspace file, spec 3.10 in snake case).

A bot holds the rights ``PUT /bots/{id}`` gave it, like a person; rights arrive in requests as
the number of PersonRights flags the C# and TypeScript clients send, or as a list of names.
"""

from __future__ import annotations

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.enums import PersonRights
from pyrus_bots.server.api.context import Caller

MANAGE_INTEGRATIONS_AND_CATALOGS = "manage_integrations_and_catalogs"
MANAGE_PERSONS_IN_ORGANIZATION = "manage_persons_in_organization"
MANAGE_ROLES = "manage_roles"

_ALL_FLAGS = int(PersonRights.from_names(name.lower() for name in PersonRights.__members__))


def require_right(caller: Caller, right: str) -> None:
    """403 ``access_denied`` unless the caller (a person or a bot) holds ``right``."""
    if right not in caller.person.rights:
        raise PyrusError("access_denied", f"this needs the {right} right")


def right_names(value: int | list[str]) -> list[str]:
    """The snake-case names of ``rights`` given as PersonRights flags or as names;
    ``invalid_value_format`` for a bit or a name Pyrus does not have."""
    if isinstance(value, int):
        if value < 0 or value & ~_ALL_FLAGS:
            raise PyrusError("invalid_value_format", "rights: unknown PersonRights flags")
        return PersonRights(value).names()
    try:
        return PersonRights.from_names(value).names()
    except ValueError as error:
        raise PyrusError("invalid_value_format", f"rights: {error}") from None
