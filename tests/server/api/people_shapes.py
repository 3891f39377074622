"""The Person, Role and Bot shapes the official clients declare, for checking answers.

Keys and JSON types transcribed from pyrusapi-csharp (``Entities/Person.cs``,
``Responses/MemberResponse.cs``, ``Entities/Role.cs``, ``Entities/Bot.cs``: ``rights`` is the
``PersonRights`` flags enum, written as a number; ``messenger.type`` a number; avatar ids
numbers) and pyrusapi-typescript (``src/entities/person.ts``, ``role.ts``, ``bot.ts``: the keys
it declares required).
"""

from __future__ import annotations

from typing import Any

_SESSION = {"life_span_hours": int, "disable": bool}
_RESTRICTION = {"max_count": int, "disable": bool}

PERSON_KEYS: dict[str, Any] = {
    "id": int,
    "first_name": str,
    "last_name": str,
    "native_first_name": str,
    "native_last_name": str,
    "email": str,
    "status": str,
    "avatar_id": int,
    "external_avatar_id": int,
    "rights": int,
    "type": str,
    "department_id": int,
    "department_name": str,
    "banned": bool,
    "fired": bool,
    "task_receiver": int,
    "position": str,
    "skype": str,
    "messenger": {"type": int, "nickname": str},
    "phone": str,
    "mobile_phone": str,
    "login_phone": str,
    "location": str,
    "personality": str,
    "personnel_number": str,
    "vacation_days": int,
    "external_id": str,
    "mobile_session_settings": _SESSION,
    "web_session_settings": _SESSION,
    "mobile_session_inactive_settings": _SESSION,
    "web_session_inactive_settings": _SESSION,
    "mobile_session_restriction_settings": _RESTRICTION,
    "web_session_restriction_settings": _RESTRICTION,
    "cant_view_restricted_form_registry": bool,
    "cant_view_form_registry": bool,
    "cant_export_restricted_form_registry": bool,
    "cant_export_form_registry": bool,
    "cant_add_external_users_to_tasks": bool,
    "cant_add_external_users_to_lists": bool,
    "two_factor_auth": bool,
}
PERSON_REQUIRED = ("id", "first_name", "email", "type", "banned")  # TypeScript: not optional

ROLE_KEYS: dict[str, Any] = {
    "id": int,
    "name": str,
    "external_id": str,
    "avatar_id": int,
    "external_avatar_id": int,
    "banned": bool,
    "fired": bool,
    "member_ids": list,
}
ROLE_REQUIRED = ("id", "name", "banned")

BOT_KEYS: dict[str, Any] = {
    "id": int,
    "name": str,
    "is_enabled": bool,
    "fired": bool,
    "hook_url": str,
    "external_id": str,
    "description": str,
    "bot_settings": str,
    "avatar_id": int,
    "external_avatar_id": int,
    "version": (int, str),  # C# and TypeScript read it as a string; Newtonsoft converts a number
    "login": str,
    "rights": int,
    "send_only_last_comment": bool,
    "locale": str,
    "time_zone_offset": int,
}


def _check(value: Any, shape: Any, where: str) -> None:
    if isinstance(shape, dict):
        assert isinstance(value, dict), where
        unknown = set(value) - set(shape)
        assert not unknown, f"{where}: keys the clients do not declare: {sorted(unknown)}"
        for key, item in value.items():
            _check(item, shape[key], f"{where}.{key}")
        return
    assert value is not None, f"{where}: null (the official Python client crashes on nulls)"
    assert isinstance(value, shape), f"{where}: {value!r} is not {shape}"
    if shape is int or shape == (int, str):
        assert not isinstance(value, bool), where


def check_shape(
    value: Any, shape: dict[str, Any], required: tuple[str, ...], where: str
) -> dict[str, Any]:
    """``value`` has only keys ``shape`` declares, of their JSON types, and the ``required``
    ones (those the TypeScript client does not mark optional)."""
    _check(value, shape, where)
    for key in required:
        assert key in value, f"{where}: {key} missing"
    return dict(value)


def check_person(person: dict[str, Any]) -> dict[str, Any]:
    _check(person, PERSON_KEYS, "person")
    for key in PERSON_REQUIRED:
        assert key in person, f"person: {key} missing"
    assert person["type"] in ("user", "bot", "role")
    return person


def check_role(role: dict[str, Any]) -> dict[str, Any]:
    _check(role, ROLE_KEYS, "role")
    for key in ROLE_REQUIRED:
        assert key in role, f"role: {key} missing"
    assert all(isinstance(i, int) for i in role.get("member_ids", []))
    return role


def check_bot(bot: dict[str, Any]) -> dict[str, Any]:
    _check({k: v for k, v in bot.items() if k != "security_key"}, BOT_KEYS, "bot")
    return bot
