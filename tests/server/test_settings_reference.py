"""``docs/settings.default.toml`` is the settings reference: it must list every field of
``Settings`` with its default and a comment, and nothing else."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from pyrus_bots.server.settings import OPTION_FIELDS, Settings, tunables, with_environment

REFERENCE = Path(__file__).parents[2] / "docs" / "settings.default.toml"
FREE_FORM = {"extra"}  # settings for extensions: no default to document


def _toml(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def test_every_setting_is_in_the_reference_with_its_default() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    values = tomllib.loads(text)
    lines = text.splitlines()
    fields = [f for f in dataclasses.fields(Settings) if f.name not in FREE_FORM]
    defaults = Settings()
    for f in fields:
        default = getattr(defaults, f.name)
        if default is None:
            # No default: shown commented out, with an example value.
            pattern = rf"# {f.name} = "
            assert f.name not in values, f.name
        else:
            pattern = rf"{f.name} = "
            assert values.get(f.name) == _toml(default), f.name
        [index] = [i for i, line in enumerate(lines) if re.match(pattern, line)]
        assert lines[index - 1].startswith("# ") and "=" not in lines[index - 1], f.name
    assert set(values) <= {f.name for f in fields}, set(values) - {f.name for f in fields}


def test_tunables_are_read_from_the_environment() -> None:
    names = {f.name for f in tunables()}
    assert names.isdisjoint(OPTION_FIELDS) and "claim_batch" in names
    settings = with_environment(
        Settings(port=9000),
        {"PYRUS_BOTS_CLAIM_BATCH": "7", "PYRUS_BOTS_POLL_INTERVAL": "0.5", "PYRUS_BOTS_PORT": "1"},
    )
    assert (settings.claim_batch, settings.poll_interval) == (7, 0.5)
    assert settings.port == 9000  # options are read by the command line, not here
    with pytest.raises(ValueError, match="PYRUS_BOTS_FINISH_BATCH"):
        with_environment(Settings(), {"PYRUS_BOTS_FINISH_BATCH": "many"})
