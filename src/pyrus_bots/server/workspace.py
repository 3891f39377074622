"""The declarative workspace file (DESIGN.md 3.2): load, validate, and apply it to the store.

``load_workspace_file(path)`` reads YAML or JSON and returns a validated ``Workspace``; any problem
raises ``WorkspaceError`` whose message names the file, the path inside it
(``forms[0].steps[1].approvers[0]``) and what is wrong, one line per problem.
``apply_workspace(session, workspace)`` writes it idempotently: ids from the file are kept, rows
are upserted, generated bot logins and keys are made once and kept on later loads, and a second
load of the same file changes nothing. Objects in the database that the file does not mention
(bots created through the API, catalog items added by sync) are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol import FieldType as PyrusFieldType
from pyrus_bots.protocol import PersonRights
from pyrus_bots.server.store import catalogs as catalog_store
from pyrus_bots.server.store.bots import (
    MAX_BOTS_PER_ORGANIZATION,
    count_active_bots,
    generate_bot_login,
    generate_security_key,
)
from pyrus_bots.server.store.counters import bump_directory_version, hold_lock
from pyrus_bots.server.store.forms import save_form
from pyrus_bots.server.store.models import BotRow, CatalogRow, PersonRight, PersonRow, RoleRow
from pyrus_bots.server.store.people import (
    get_role,
    save_organization,
    set_rights,
    set_role_members,
)
from pyrus_bots.server.store.tokens import revoke_tokens
from pyrus_bots.server.workflow.state import ChoiceOption, FieldDef, FormDef, StepDef

FIELD_TYPES = tuple(field_type.value for field_type in PyrusFieldType)
"""The 24 field types of Pyrus (spec 3.8)."""

PERSON_RIGHTS = tuple(name.lower() for name in PersonRights.__members__)
"""Pyrus person rights in snake case (spec 3.10)."""

MAX_STEPS = 20
MAX_BOTS = MAX_BOTS_PER_ORGANIZATION
BOT_LOGIN = re.compile(r"^bot@[0-9a-z][0-9a-z-]*$")
WORKSPACE_LOCK = "workspace"
DECIMAL_TYPES = frozenset({"number", "money"})


class WorkspaceError(Exception):
    """A workspace file that cannot be used; the message lists every problem found."""

    def __init__(
        self,
        source: str,
        problems: Sequence[tuple[str, str]],
        line_numbers: Mapping[str, int] | None = None,
    ) -> None:
        self.source = source
        self.problems = list(problems)
        """``(path, text)`` pairs; the path is empty for problems with the whole file."""
        self.line_numbers = dict(line_numbers or {})
        """Line in the file of each path that could be located (YAML and JSON files)."""
        super().__init__("\n".join(self._line(path, text) for path, text in self.problems))

    def _line(self, path: str, text: str) -> str:
        where = (
            f"{self.source}:{self.line_numbers[path]}" if path in self.line_numbers else self.source
        )
        return f"{where}: {path}: {text}" if path else f"{where}: {text}"


# --- the file schema (pydantic) ------------------------------------------------------------


def _field_type(value: str) -> str:
    if value not in FIELD_TYPES:
        raise ValueError(f"unknown field type {value!r}; the types are: {', '.join(FIELD_TYPES)}")
    return value


def _right(value: str) -> str:
    if value not in PERSON_RIGHTS:
        raise ValueError(f"unknown right {value!r}; the rights are: {', '.join(PERSON_RIGHTS)}")
    return value


def _person_ref(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a person reference is an id, an e-mail or a bot login")
    if isinstance(value, str) and not value.strip():
        raise ValueError("a person reference must not be empty")
    return value


def _settings(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise ValueError(
            "bot settings must be a string (it is delivered verbatim as bot_settings); "
            "quote it, e.g. settings: '{\"limit\": 1000}'"
        )
    return value


def _email(value: str) -> str:
    value = value.strip()
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


FieldType = Annotated[str, AfterValidator(_field_type)]
RightName = Annotated[str, AfterValidator(_right)]
PersonRef = Annotated[int | str, PlainValidator(_person_ref)]
Email = Annotated[str, AfterValidator(_email)]
Id = Annotated[int, Field(strict=True, gt=0)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationSpec(_Spec):
    id: Id
    name: str


class PersonSpec(_Spec):
    id: Id
    email: Email
    first_name: str = ""
    last_name: str = ""
    security_key: str | None = None
    rights: list[RightName] = []
    position: str | None = None
    department_name: str | None = None
    phone: str | None = None
    banned: bool = False
    fired: bool = False
    external_id: str | None = None


class BotSpec(_Spec):
    id: Id
    name: str
    login: str | None = None
    security_key: str | None = None
    hook_url: str | None = None
    settings: Annotated[str | None, BeforeValidator(_settings)] = None
    send_only_last_comment: bool = False
    enabled: bool = True
    description: str | None = None
    locale: str | None = None
    time_zone_offset: int | None = None
    external_id: str | None = None


class RoleSpec(_Spec):
    id: Id
    name: str
    members: list[PersonRef] = []
    banned: bool = False


class CatalogSpec(_Spec):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    id: Id
    name: str
    headers: list[str]
    items: list[list[str]] = []


class OptionSpec(_Spec):
    id: Id
    value: str
    deleted: bool = False


class FieldSpec(_Spec):
    id: Id
    type: FieldType
    name: str
    code: str | None = None
    required_step: Id | None = None
    immutable_step: Id | None = None
    options: list[OptionSpec] | None = None
    catalog_id: int | None = None
    multiple_choice: bool = False
    decimal_places: Annotated[int, Field(ge=0, le=10)] | None = None
    form_id: int | None = None
    multiline: bool = False
    text: str | None = None
    fields: list[FieldSpec] | None = None
    columns: list[FieldSpec] | None = None


class StepSpec(_Spec):
    name: str
    approvers: list[PersonRef] = []


class FormSpec(_Spec):
    id: Id
    name: str
    fields: list[FieldSpec] = []
    steps: list[StepSpec] = []
    managers: list[PersonRef] = []
    members: list[PersonRef] = []


class WorkspaceSpec(_Spec):
    organization: OrganizationSpec
    people: list[PersonSpec] = []
    bots: list[BotSpec] = []
    roles: list[RoleSpec] = []
    catalogs: list[CatalogSpec] = []
    forms: list[FormSpec] = []


@dataclass(slots=True)
class Workspace:
    """A validated workspace: the file's content with every person reference resolved to an id."""

    source: str
    spec: WorkspaceSpec
    forms: list[FormDef] = field(default_factory=list)
    role_members: dict[int, list[int]] = field(default_factory=dict)


# --- reading -------------------------------------------------------------------------------


def load_workspace_file(path: str | Path) -> Workspace:
    """Read and validate a workspace file (YAML, or JSON by extension or content)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(source, [("", f"cannot read the file: {exc}")]) from None
    try:
        return parse_workspace(_parse_text(text, source), source)
    except WorkspaceError as exc:
        if exc.line_numbers or not any(path for path, _ in exc.problems):
            raise
        lines = locate_paths(text, [path for path, _ in exc.problems])
        raise WorkspaceError(source, exc.problems, lines) from None


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def locate_paths(text: str, paths: Iterable[str]) -> dict[str, int]:
    """The 1-based line where each path (``forms[0].steps[1]``) starts in a YAML/JSON text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[str, int] = {}
    for path in paths:
        node = root
        for match in _PATH_PART.finditer(path):
            key, index = match.groups()
            node = _child(node, key, int(index) if index is not None else None)
            if node is None:
                break
        if node is not None and path:
            found[path] = node.start_mark.line + 1
    return found


def _child(node: yaml.Node | None, key: str | None, index: int | None) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and key is not None:
        for key_node, value_node in node.value:
            if key_node.value == key:
                found: yaml.Node = value_node
                return found
        return node  # a missing key: point at the mapping that lacks it
    if isinstance(node, yaml.SequenceNode) and index is not None and index < len(node.value):
        child: yaml.Node = node.value[index]
        return child
    return None


def _parse_text(text: str, source: str) -> object:
    as_json = source.lower().endswith(".json") or (
        not source.lower().endswith((".yaml", ".yml")) and text.lstrip().startswith("{")
    )
    if as_json:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise WorkspaceError(source, [("", f"invalid JSON at {where}: {exc.msg}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkspaceError(source, [("", f"invalid YAML{where}: {problem}")]) from None


def parse_workspace(data: object, source: str = "<workspace>") -> Workspace:
    """Validate already-parsed file content (a mapping); raises ``WorkspaceError``."""
    if not isinstance(data, dict):
        raise WorkspaceError(
            source,
            [
                (
                    "",
                    "the file must hold a mapping with organization, people, bots, roles, "
                    "catalogs and forms",
                )
            ],
        )
    try:
        spec = WorkspaceSpec.model_validate(data)
    except ValidationError as exc:
        raise WorkspaceError(source, _pydantic_problems(exc)) from None
    checker = _Checker(spec)
    checker.check()
    if checker.problems:
        raise WorkspaceError(source, checker.problems)
    return Workspace(
        source=source, spec=spec, forms=checker.forms, role_members=checker.role_members
    )


def format_path(loc: Iterable[int | str]) -> str:
    """``("forms", 0, "steps", 1)`` -> ``forms[0].steps[1]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = [part for part in error["loc"] if not _is_variant_tag(part)]
        kind = error["type"]
        if kind == "missing":
            text = "required but missing"
        elif kind == "extra_forbidden":
            text = "unknown key (see docs/workspace.md for the keys allowed here)"
        else:
            text = str(error["msg"]).removeprefix("Value error, ")
            text = text[:1].lower() + text[1:]
        problems.append((format_path(loc), text))
    return problems


def _is_variant_tag(part: int | str) -> bool:
    # pydantic names the member of a union or a function validator in the location
    return isinstance(part, str) and (
        part.startswith(("function-", "nullable[", "union[")) or part in {"int", "str", "list"}
    )


class _Checker:
    """The checks that need the whole file: ids, references, limits."""

    def __init__(self, spec: WorkspaceSpec) -> None:
        self.spec = spec
        self.problems: list[tuple[str, str]] = []
        self.forms: list[FormDef] = []
        self.role_members: dict[int, list[int]] = {}
        self.kind_of: dict[int, str] = {}  # person-space id -> "person" | "bot" | "role"
        self.by_login: dict[str, int] = {}  # lower-cased e-mail or bot login -> id
        self.catalog_ids: set[int] = set()
        self.form_ids: set[int] = set()

    def fail(self, path: str, text: str) -> None:
        self.problems.append((path, text))

    def check(self) -> None:
        self._person_space()
        self._catalogs()
        for index, role in enumerate(self.spec.roles):
            path = f"roles[{index}].members"
            ids = self._resolve_all(path, role.members, allow_roles=False)
            self.role_members[role.id] = ids
        seen_forms: dict[int, str] = {}
        for index, form in enumerate(self.spec.forms):
            self._unique(seen_forms, form.id, f"forms[{index}].id", "form id")
        self.form_ids = set(seen_forms)
        for index, form in enumerate(self.spec.forms):
            self._form(index, form)

    def _unique(self, seen: dict[Any, str], key: Any, path: str, what: str) -> None:
        if key in seen:
            self.fail(path, f"duplicate {what} {key!r} (already used at {seen[key]})")
        else:
            seen[key] = path

    def _person_space(self) -> None:
        seen_ids: dict[int, str] = {}
        seen_logins: dict[str, str] = {}
        groups: list[tuple[str, Sequence[PersonSpec | BotSpec | RoleSpec], str]] = [
            ("people", self.spec.people, "person"),
            ("bots", self.spec.bots, "bot"),
            ("roles", self.spec.roles, "role"),
        ]
        for key, entries, kind in groups:
            for index, entry in enumerate(entries):
                path = f"{key}[{index}]"
                self._unique(seen_ids, entry.id, f"{path}.id", "id")
                self.kind_of.setdefault(entry.id, kind)
                login: str | None = None
                if isinstance(entry, PersonSpec):
                    login = entry.email.lower()
                    if login.startswith("bot@"):
                        self.fail(f"{path}.email", "e-mails starting with bot@ are bot logins")
                elif isinstance(entry, BotSpec) and entry.login is not None:
                    login = entry.login.strip().lower()
                    if not BOT_LOGIN.match(login):
                        self.fail(
                            f"{path}.login",
                            f"{entry.login!r} is not a bot login: use bot@ followed by "
                            "20 hex digits, or leave it out to have one generated",
                        )
                if login is not None:
                    where = f"{path}.{'email' if isinstance(entry, PersonSpec) else 'login'}"
                    self._unique(seen_logins, login, where, "e-mail or login")
                    self.by_login.setdefault(login, entry.id)
        if len(self.spec.bots) > MAX_BOTS:
            self.fail(
                "bots",
                f"an organization has at most {MAX_BOTS} bots; this file declares "
                f"{len(self.spec.bots)}",
            )

    def _catalogs(self) -> None:
        seen: dict[int, str] = {}
        for index, catalog in enumerate(self.spec.catalogs):
            path = f"catalogs[{index}]"
            self._unique(seen, catalog.id, f"{path}.id", "catalog id")
            if not catalog.headers or any(not h.strip() for h in catalog.headers):
                self.fail(f"{path}.headers", "a catalog needs at least one non-empty header")
            seen_headers: dict[str, str] = {}
            for h_index, header in enumerate(catalog.headers):
                self._unique(seen_headers, header, f"{path}.headers[{h_index}]", "header")
            seen_keys: dict[str, str] = {}
            for i_index, values in enumerate(catalog.items):
                item_path = f"{path}.items[{i_index}]"
                if len(values) != len(catalog.headers):
                    self.fail(
                        item_path,
                        f"an item needs {len(catalog.headers)} values, one per header "
                        f"(found {len(values)})",
                    )
                    continue
                if not values[0].strip():
                    self.fail(f"{item_path}[0]", "the first value of an item (its key) is empty")
                self._unique(seen_keys, values[0], f"{item_path}[0]", "item (first column)")
                for v_index, value in enumerate(values):
                    if len(value) > catalog_store.MAX_ITEM_VALUE_LENGTH:
                        self.fail(
                            f"{item_path}[{v_index}]",
                            f"longer than {catalog_store.MAX_ITEM_VALUE_LENGTH} characters",
                        )
            if len(catalog.items) > catalog_store.MAX_CATALOG_ITEMS:
                self.fail(
                    f"{path}.items", f"at most {catalog_store.MAX_CATALOG_ITEMS} items per catalog"
                )
        self.catalog_ids = set(seen)

    def _resolve(self, path: str, ref: int | str, *, allow_roles: bool) -> int | None:
        allowed = "person, bot or role" if allow_roles else "person or bot"
        if isinstance(ref, int):
            kind = self.kind_of.get(ref)
            if kind is None:
                self.fail(path, f"no {allowed} with id {ref} in this file")
                return None
            if kind == "role" and not allow_roles:
                self.fail(path, f"{ref} is a role; only people and bots belong here")
                return None
            return ref
        found = self.by_login.get(ref.strip().lower())
        if found is None:
            self.fail(path, f"no person with e-mail or bot with login {ref!r} in this file")
        return found

    def _resolve_all(
        self, path: str, refs: Sequence[int | str], *, allow_roles: bool = True
    ) -> list[int]:
        ids: list[int] = []
        for index, ref in enumerate(refs):
            resolved = self._resolve(f"{path}[{index}]", ref, allow_roles=allow_roles)
            if resolved is None:
                continue
            if resolved in ids:
                self.fail(f"{path}[{index}]", f"{ref!r} is listed twice")
                continue
            ids.append(resolved)
        return ids

    def _form(self, index: int, form: FormSpec) -> None:
        path = f"forms[{index}]"
        if len(form.steps) > MAX_STEPS:
            self.fail(
                f"{path}.steps",
                f"a form has at most {MAX_STEPS} steps; this one has {len(form.steps)}",
            )
        steps: list[StepDef] = []
        for s_index, step in enumerate(form.steps):
            step_path = f"{path}.steps[{s_index}]"
            approver_ids = self._resolve_all(f"{step_path}.approvers", step.approvers)
            bots = [pid for pid in approver_ids if self.kind_of.get(pid) == "bot"]
            if len(bots) > 1:
                self.fail(
                    f"{step_path}.approvers",
                    f"a step may have at most one bot approver; this one has {len(bots)} "
                    f"(ids {', '.join(map(str, bots))})",
                )
            steps.append(StepDef(number=s_index + 1, name=step.name, approver_ids=approver_ids))
        fields: list[FieldDef] = []
        seen_ids: dict[int, str] = {}
        seen_codes: dict[str, str] = {}
        for f_index, spec in enumerate(form.fields):
            self._field(
                f"{path}.fields[{f_index}]",
                spec,
                None,
                len(form.steps),
                fields,
                seen_ids,
                seen_codes,
            )
        self.forms.append(
            FormDef(
                id=form.id,
                name=form.name,
                fields=fields,
                steps=steps,
                manager_ids=self._resolve_all(f"{path}.managers", form.managers),
                member_ids=self._resolve_all(f"{path}.members", form.members),
            )
        )

    def _field(
        self,
        path: str,
        spec: FieldSpec,
        parent: FieldSpec | None,
        step_count: int,
        out: list[FieldDef],
        seen_ids: dict[int, str],
        seen_codes: dict[str, str],
    ) -> None:
        self._unique(seen_ids, spec.id, f"{path}.id", "field id")
        if spec.code is not None:
            self._unique(seen_codes, spec.code, f"{path}.code", "field code")
        kind = spec.type
        if kind == "multiple_choice":
            if not spec.options:
                self.fail(f"{path}.options", "a multiple_choice field needs options")
            seen_options: dict[int, str] = {}
            for o_index, option in enumerate(spec.options or []):
                self._unique(seen_options, option.id, f"{path}.options[{o_index}].id", "option id")
        elif spec.options is not None:
            self.fail(f"{path}.options", f"options apply to multiple_choice fields, not {kind}")
        if kind == "catalog":
            if spec.catalog_id is None:
                self.fail(f"{path}.catalog_id", "a catalog field needs catalog_id")
            elif spec.catalog_id not in self.catalog_ids:
                self.fail(
                    f"{path}.catalog_id", f"no catalog with id {spec.catalog_id} in this file"
                )
        elif spec.catalog_id is not None:
            self.fail(f"{path}.catalog_id", f"catalog_id applies to catalog fields, not {kind}")
        if kind == "form_link" and spec.form_id is not None and spec.form_id not in self.form_ids:
            self.fail(f"{path}.form_id", f"no form with id {spec.form_id} in this file")
        if spec.decimal_places is not None and kind not in DECIMAL_TYPES:
            self.fail(f"{path}.decimal_places", "decimal_places applies to number and money")
        for key in ("required_step", "immutable_step"):
            step = getattr(spec, key)
            if step is not None and step > step_count:
                self.fail(f"{path}.{key}", f"step {step} does not exist: the form has {step_count}")
        if spec.fields is not None and kind != "title":
            self.fail(f"{path}.fields", f"only title fields hold fields, not {kind}")
        if spec.columns is not None and kind != "table":
            self.fail(f"{path}.columns", f"only table fields hold columns, not {kind}")
        if kind == "table" and not spec.columns:
            self.fail(f"{path}.columns", "a table field needs columns")
        if parent is not None and parent.type == "table" and kind in {"table", "title"}:
            self.fail(f"{path}.type", f"a table column cannot be a {kind}")
        out.append(
            FieldDef(
                id=spec.id,
                type=kind,
                name=spec.name,
                code=spec.code,
                parent_id=parent.id if parent is not None else None,
                required_step=spec.required_step,
                immutable_step=spec.immutable_step,
                options=[
                    ChoiceOption(id=o.id, value=o.value, deleted=o.deleted)
                    for o in spec.options or []
                ],
                catalog_id=spec.catalog_id,
                multiple_choice=spec.multiple_choice,
                decimal_places=spec.decimal_places,
                form_id=spec.form_id,
                multiline=spec.multiline,
                text=spec.text,
            )
        )
        for key, children in (("fields", spec.fields), ("columns", spec.columns)):
            for c_index, child in enumerate(children or []):
                self._field(
                    f"{path}.{key}[{c_index}]", child, spec, step_count, out, seen_ids, seen_codes
                )


# --- applying ------------------------------------------------------------------------------


@dataclass(slots=True)
class Changes:
    """What ``apply_workspace`` changed, one readable line per object (empty: nothing)."""

    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def __bool__(self) -> bool:
        return bool(self.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)


async def apply_workspace(session: AsyncSession, workspace: Workspace) -> Changes:
    """Write the workspace to the database, idempotently; the caller commits.

    Holds a lock for the whole transaction so that processes starting at the same time apply it
    one after the other (the later ones find nothing to change).
    """
    await hold_lock(session, WORKSPACE_LOCK)
    spec = workspace.spec
    changes = Changes()
    org = spec.organization
    if await save_organization(session, org.id, org.name):
        changes.note(f"organization {org.id}")
    for index, person in enumerate(spec.people):
        await _apply_person(session, workspace.source, f"people[{index}]", org.id, person, changes)
    for index, bot in enumerate(spec.bots):
        await _apply_bot(session, workspace.source, f"bots[{index}]", org.id, bot, changes)
    if await count_active_bots(session, org.id) > MAX_BOTS:
        raise WorkspaceError(
            workspace.source,
            [
                (
                    "bots",
                    f"with the bots already in the database the organization would have "
                    f"more than {MAX_BOTS}",
                )
            ],
        )
    for role in spec.roles:
        await _apply_role(session, org.id, role, workspace.role_members[role.id], changes)
    for catalog in spec.catalogs:
        await _apply_catalog(session, org.id, catalog, changes)
    for form in workspace.forms:
        if await save_form(session, org.id, form):
            changes.note(f"form {form.id}")
    if changes:
        await bump_directory_version(session)
    return changes


async def _login_owner(session: AsyncSession, login: str) -> int | None:
    return await session.scalar(select(PersonRow.id).where(PersonRow.login == login))


async def _apply_person(
    session: AsyncSession,
    source: str,
    path: str,
    organization_id: int,
    spec: PersonSpec,
    changes: Changes,
) -> None:
    login = spec.email.lower()
    owner = await _login_owner(session, login)
    if owner is not None and owner != spec.id:
        raise WorkspaceError(
            source, [(f"{path}.email", f"already used by person {owner} in the database")]
        )
    row = await session.get(PersonRow, spec.id)
    wanted: dict[str, Any] = {
        "organization_id": organization_id,
        "type": "user",
        "email": spec.email,
        "login": login,
        "first_name": spec.first_name,
        "last_name": spec.last_name,
        "position": spec.position,
        "department_name": spec.department_name,
        "phone": spec.phone,
        "banned": spec.banned,
        "fired": spec.fired,
        "external_id": spec.external_id,
    }
    if spec.security_key is not None:
        wanted["security_key"] = spec.security_key
    if row is None:
        session.add(PersonRow(id=spec.id, **wanted))
        await session.flush()
        changes.note(f"person {spec.id} created")
    else:
        if row.type != "user":
            raise WorkspaceError(
                source, [(f"{path}.id", f"{spec.id} is a bot in the database, not a person")]
            )
        if _differs(row, wanted):
            if "security_key" in wanted and wanted["security_key"] != row.security_key:
                await revoke_tokens(session, spec.id)  # as Pyrus does on a key change
            for key, value in wanted.items():
                setattr(row, key, value)
            await session.flush()
            changes.note(f"person {spec.id} updated")
    current = set(
        await session.scalars(select(PersonRight.right).where(PersonRight.person_id == spec.id))
    )
    if current != set(spec.rights):
        await set_rights(session, spec.id, spec.rights)
        changes.note(f"rights of person {spec.id}")


def _differs(row: object, wanted: dict[str, Any]) -> bool:
    return any(getattr(row, key) != value for key, value in wanted.items())


async def _apply_bot(
    session: AsyncSession,
    source: str,
    path: str,
    organization_id: int,
    spec: BotSpec,
    changes: Changes,
) -> None:
    person = await session.get(PersonRow, spec.id)
    if person is not None and person.type != "bot":
        raise WorkspaceError(
            source, [(f"{path}.id", f"{spec.id} is a person in the database, not a bot")]
        )
    # Generated values are made once: a later load keeps what the database has.
    login = (spec.login or (person.login if person else None) or generate_bot_login()).lower()
    key = spec.security_key or (person.security_key if person else None) or generate_security_key()
    owner = await _login_owner(session, login)
    if owner is not None and owner != spec.id:
        raise WorkspaceError(
            source, [(f"{path}.login", f"already used by person {owner} in the database")]
        )
    person_values: dict[str, Any] = {
        "organization_id": organization_id,
        "type": "bot",
        "email": login,
        "login": login,
        "first_name": spec.name,
        "last_name": "",
        "security_key": key,
        "external_id": spec.external_id,
        "banned": False,
        "fired": False,
    }
    bot_values: dict[str, Any] = {
        "name": spec.name,
        "hook_url": spec.hook_url,
        "settings": spec.settings,
        "enabled": spec.enabled,
        "send_only_last_comment": spec.send_only_last_comment,
        "description": spec.description,
        "locale": spec.locale,
        "time_zone_offset": spec.time_zone_offset,
    }
    if person is None:
        session.add(
            PersonRow(id=spec.id, position=None, department_name=None, phone=None, **person_values)
        )
        await session.flush()
        session.add(BotRow(person_id=spec.id, version=1, **bot_values))
        await session.flush()
        changes.note(f"bot {spec.id} created")
        return
    bot = await session.get(BotRow, spec.id)
    if bot is None:
        raise WorkspaceError(source, [(f"{path}.id", f"{spec.id} has no bot settings row")])
    if not (_differs(person, person_values) or _differs(bot, bot_values)):
        return
    if person.security_key != key:
        await revoke_tokens(session, spec.id)
    for name, value in person_values.items():
        setattr(person, name, value)
    for name, value in bot_values.items():
        setattr(bot, name, value)
    bot.version += 1
    await session.flush()
    changes.note(f"bot {spec.id} updated")


async def _apply_role(
    session: AsyncSession,
    organization_id: int,
    spec: RoleSpec,
    members: list[int],
    changes: Changes,
) -> None:
    row = await session.get(RoleRow, spec.id)
    wanted = {"organization_id": organization_id, "name": spec.name, "banned": spec.banned}
    if row is None:
        session.add(RoleRow(id=spec.id, **wanted))
        await session.flush()
        changes.note(f"role {spec.id} created")
    elif _differs(row, wanted):
        for key, value in wanted.items():
            setattr(row, key, value)
        await session.flush()
        changes.note(f"role {spec.id} updated")
    role = await get_role(session, spec.id)
    if role is not None and set(role.member_ids) != set(members):
        await set_role_members(session, spec.id, members)
        changes.note(f"members of role {spec.id}")


async def _apply_catalog(
    session: AsyncSession, organization_id: int, spec: CatalogSpec, changes: Changes
) -> None:
    row = await session.get(CatalogRow, spec.id)
    if row is None:
        await catalog_store.create_catalog(
            session, organization_id, spec.name, spec.headers, spec.items, catalog_id=spec.id
        )
        changes.note(f"catalog {spec.id} created")
        return
    if row.name != spec.name or list(row.headers) != spec.headers or row.deleted:
        await session.execute(
            update(CatalogRow)
            .where(CatalogRow.id == spec.id)
            .values(name=spec.name, headers=spec.headers, deleted=False, version=row.version + 1)
        )
        session.expire(row)
        changes.note(f"catalog {spec.id} updated")
    result = await catalog_store.diff_catalog(session, spec.id, upsert=spec.items)
    if result.changed:
        changes.note(f"items of catalog {spec.id}")
