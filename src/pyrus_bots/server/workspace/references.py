"""Who the file declares, and how a person reference (an id, an e-mail or a bot login) resolves.

People, bots and roles share one id space. ``declare_people`` collects them (refusing duplicate
ids, duplicate e-mails or logins, malformed bot logins and too many bots); ``PersonSpace.resolve``
turns a reference into an id, or records why it cannot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyrus_bots.server.store.bots import MAX_BOTS_PER_ORGANIZATION
from pyrus_bots.server.workspace.errors import Problems
from pyrus_bots.server.workspace.schema import BotSpec, PersonSpec, RoleSpec, WorkspaceSpec

MAX_BOTS = MAX_BOTS_PER_ORGANIZATION
BOT_LOGIN = re.compile(r"^bot@[0-9a-z][0-9a-z-]*$")


@dataclass(slots=True)
class PersonSpace:
    """The people, bots and roles of the file, by id and by e-mail or login."""

    problems: Problems
    kind_of: dict[int, str] = field(default_factory=dict)
    """Id -> ``person``, ``bot`` or ``role`` (the first declaration wins)."""
    by_login: dict[str, int] = field(default_factory=dict)
    """Lower-cased e-mail or bot login -> id."""

    def resolve(self, path: str, ref: int | str, *, allow_roles: bool) -> int | None:
        """The id ``ref`` names, or None after recording why there is none."""
        if isinstance(ref, int):
            return self._resolve_id(path, ref, allow_roles=allow_roles)
        found = self.by_login.get(ref.strip().lower())
        if found is None:
            self.problems.add(path, f"no person with e-mail or bot with login {ref!r} in this file")
        return found

    def _resolve_id(self, path: str, ref: int, *, allow_roles: bool) -> int | None:
        kind = self.kind_of.get(ref)
        if kind is None:
            allowed = "person, bot or role" if allow_roles else "person or bot"
            self.problems.add(path, f"no {allowed} with id {ref} in this file")
            return None
        if kind == "role" and not allow_roles:
            self.problems.add(path, f"{ref} is a role; only people and bots belong here")
            return None
        return ref

    def resolve_all(
        self, path: str, refs: Sequence[int | str], *, allow_roles: bool = True
    ) -> list[int]:
        """The ids of a list of references (``path`` is the list's), each at most once."""
        ids: list[int] = []
        for index, ref in enumerate(refs):
            resolved = self.resolve(f"{path}[{index}]", ref, allow_roles=allow_roles)
            if resolved is None:
                continue
            if resolved in ids:
                self.problems.add(f"{path}[{index}]", f"{ref!r} is listed twice")
                continue
            ids.append(resolved)
        return ids


def declare_people(spec: WorkspaceSpec, problems: Problems) -> PersonSpace:
    """The person space of the file: its people, then its bots, then its roles."""
    space = PersonSpace(problems)
    seen_ids: dict[int, str] = {}
    seen_logins: dict[str, str] = {}
    groups: list[tuple[str, Sequence[PersonSpec | BotSpec | RoleSpec], str]] = [
        ("people", spec.people, "person"),
        ("bots", spec.bots, "bot"),
        ("roles", spec.roles, "role"),
    ]
    for key, entries, kind in groups:
        for index, entry in enumerate(entries):
            path = f"{key}[{index}]"
            problems.unique(seen_ids, entry.id, f"{path}.id", "id")
            space.kind_of.setdefault(entry.id, kind)
            login = _login(path, entry, problems)
            if login is not None:
                where = f"{path}.{'email' if isinstance(entry, PersonSpec) else 'login'}"
                problems.unique(seen_logins, login, where, "e-mail or login")
                space.by_login.setdefault(login, entry.id)
    if len(spec.bots) > MAX_BOTS:
        problems.add(
            "bots",
            f"an organization has at most {MAX_BOTS} bots; this file declares {len(spec.bots)}",
        )
    return space


def _login(path: str, entry: PersonSpec | BotSpec | RoleSpec, problems: Problems) -> str | None:
    """The lower-cased e-mail of a person or login of a bot (None: a role, a generated login)."""
    if isinstance(entry, PersonSpec):
        login = entry.email.lower()
        if login.startswith("bot@"):
            problems.add(f"{path}.email", "e-mails starting with bot@ are bot logins")
        return login
    if isinstance(entry, BotSpec) and entry.login is not None:
        login = entry.login.strip().lower()
        if not BOT_LOGIN.match(login):
            problems.add(
                f"{path}.login",
                f"{entry.login!r} is not a bot login: use bot@ followed by "
                "20 hex digits, or leave it out to have one generated",
            )
        return login
    return None
