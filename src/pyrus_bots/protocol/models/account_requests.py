"""Write side of accounts and rights: logging in, managing bots, who may use a form."""

from __future__ import annotations

from pyrus_bots.protocol.models.parsing import StrictBody

__all__ = [
    "AuthRequest",
    "CreateBotRequest",
    "DeleteBotRequest",
    "PermissionsRequest",
    "UpdateBotRequest",
]


class AuthRequest(StrictBody):
    """``POST /auth``: a login (a bot's or a person's) and its security key."""

    login: str
    security_key: str
    person_id: int | None = None


class _BotFields(StrictBody):
    name: str | None = None
    hook_url: str | None = None
    external_id: str | None = None
    description: str | None = None
    bot_settings: str | None = None
    is_enabled: bool | None = None
    send_only_last_comment: bool | None = None


class CreateBotRequest(_BotFields):
    """``POST /bots``."""

    # Re-declared to make it required; an overridden field keeps its place in the schema.
    name: str


class UpdateBotRequest(_BotFields):
    """``PUT /bots/{id}``: ``null`` (or absent) leaves a setting as it is."""

    rights: list[str] | int | None = None
    locale: str | None = None
    time_zone_offset: int | None = None


class DeleteBotRequest(StrictBody):
    """``DELETE /bots/{id}``: optional; tasks keep their bot author, as in Pyrus."""

    task_receiver_id: int | None = None


class PermissionsRequest(StrictBody):
    """``POST /forms/{id}/permissions``: person id (as text) to level."""

    permissions: dict[str, str]
