"""Person rights the API checks (names as in the workspace file, spec 3.10 in snake case)."""

from __future__ import annotations

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.context import Caller

MANAGE_INTEGRATIONS_AND_CATALOGS = "manage_integrations_and_catalogs"


def require_right(caller: Caller, right: str) -> None:
    """403 ``access_denied`` unless the caller holds ``right`` (bots hold none)."""
    if caller.is_bot or right not in caller.person.rights:
        raise PyrusError("access_denied", f"this needs the {right} right")
