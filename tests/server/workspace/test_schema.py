"""The schema of the workspace file: field types, rights, settings, unknown and missing keys."""

from __future__ import annotations

from pathlib import Path

from .samples import problem


def test_unknown_field_type(tmp_path: Path) -> None:
    message = problem(
        tmp_path, lambda d: d["forms"][0]["fields"].append({"id": 9, "name": "X", "type": "txt"})
    )
    assert "forms[0].fields[4].type: unknown field type 'txt'" in message
    assert "due_date_time" in message  # lists the valid types


def test_bot_settings_must_be_a_string(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["bots"][0].update(settings={"limit": 1000}))
    assert "bots[0].settings: bot settings must be a string" in message


def test_unknown_right(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["people"][0].update(rights=["manage_bots"]))
    assert "people[0].rights[0]: unknown right 'manage_bots'" in message
    assert "manage_integrations_and_catalogs" in message


def test_unknown_and_missing_keys(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["people"][0].update(mail="x"))
    assert "people[0].mail: unknown key" in message
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][0].pop("name"))
    assert "forms[0].fields[0].name: required but missing" in message
    message = problem(tmp_path, lambda d: d.pop("organization"))
    assert "organization: required but missing" in message
    message = problem(tmp_path, lambda d: d["people"][0].update(id="1001"))
    assert "people[0].id: input should be a valid integer" in message
