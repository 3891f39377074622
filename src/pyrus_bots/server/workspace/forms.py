"""The checks of a form that need the rest of the file, and its definition for the store.

A form's steps resolve their approvers (at most one bot each); its fields, nested ones included,
have unique ids and codes within the form, refer to catalogs and forms of the file, and use only
the keys their type takes (options for multiple_choice, columns for table, ...). Sub-fields of a
multiple-choice option (``options[].fields``) are fields of the form like the others, with the
choice field as parent and the option's id as ``option_id``; defaults are checked by
``defaults``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyrus_bots.server.workflow.state import ChoiceOption, FieldDef, FormDef, StepDef
from pyrus_bots.server.workflow.steps import MAX_STEPS
from pyrus_bots.server.workspace.defaults import check_default
from pyrus_bots.server.workspace.errors import Problems
from pyrus_bots.server.workspace.references import PersonSpace
from pyrus_bots.server.workspace.schema import CatalogSpec, FieldSpec, FormSpec

DECIMAL_TYPES = frozenset({"number", "money"})


def check_form(
    path: str,
    form: FormSpec,
    people: PersonSpace,
    catalogs: Mapping[int, CatalogSpec],
    form_ids: set[int],
) -> FormDef:
    """The definition of ``form`` (at ``path``); its problems go to ``people.problems``."""
    steps = _steps(path, form, people)
    fields = _FormFields(people, catalogs, form_ids, len(form.steps))
    for index, spec in enumerate(form.fields):
        fields.check(f"{path}.fields[{index}]", spec, None)
    return FormDef(
        id=form.id,
        name=form.name,
        fields=fields.out,
        steps=steps,
        manager_ids=people.resolve_all(f"{path}.managers", form.managers),
        member_ids=people.resolve_all(f"{path}.members", form.members),
    )


def _steps(path: str, form: FormSpec, people: PersonSpace) -> list[StepDef]:
    problems = people.problems
    if len(form.steps) > MAX_STEPS:
        problems.add(
            f"{path}.steps",
            f"a form has at most {MAX_STEPS} steps; this one has {len(form.steps)}",
        )
    steps: list[StepDef] = []
    for index, step in enumerate(form.steps):
        approvers_path = f"{path}.steps[{index}].approvers"
        approver_ids = people.resolve_all(approvers_path, step.approvers)
        bots = [pid for pid in approver_ids if people.kind_of.get(pid) == "bot"]
        if len(bots) > 1:
            problems.add(
                approvers_path,
                f"a step may have at most one bot approver; this one has {len(bots)} "
                f"(ids {', '.join(map(str, bots))})",
            )
        steps.append(StepDef(number=index + 1, name=step.name, approver_ids=approver_ids))
    return steps


@dataclass(slots=True)
class _FormFields:
    """The fields of one form, checked in file order (a field before its sub-fields)."""

    people: PersonSpace
    catalogs: Mapping[int, CatalogSpec]
    form_ids: set[int]
    step_count: int
    out: list[FieldDef] = field(default_factory=list)
    seen_ids: dict[int, str] = field(default_factory=dict)
    seen_codes: dict[str, str] = field(default_factory=dict)

    @property
    def problems(self) -> Problems:
        return self.people.problems

    def check(
        self,
        path: str,
        spec: FieldSpec,
        parent: FieldSpec | None,
        option_id: int | None = None,
        in_table: bool = False,
    ) -> None:
        self.problems.unique(self.seen_ids, spec.id, f"{path}.id", "field id")
        if spec.code is not None:
            self.problems.unique(self.seen_codes, spec.code, f"{path}.code", "field code")
        self._options(path, spec, in_table)
        self._links(path, spec)
        self._steps(path, spec)
        self._nesting(path, spec, parent)
        check_default(f"{path}.default", spec, in_table, self.people, self.catalogs)
        self.out.append(_definition(spec, parent, option_id))
        in_table = in_table or spec.type == "table"
        for key, children in (("fields", spec.fields), ("columns", spec.columns)):
            for index, child in enumerate(children or []):
                self.check(f"{path}.{key}[{index}]", child, spec, None, in_table)
        for o_index, option in enumerate(spec.options or []):
            for index, child in enumerate(option.fields or []):
                child_path = f"{path}.options[{o_index}].fields[{index}]"
                self.check(child_path, child, spec, option.id, in_table)

    def _options(self, path: str, spec: FieldSpec, in_table: bool) -> None:
        if spec.type == "multiple_choice":
            if not spec.options:
                self.problems.add(f"{path}.options", "a multiple_choice field needs options")
            seen: dict[int, str] = {}
            for index, option in enumerate(spec.options or []):
                self.problems.unique(seen, option.id, f"{path}.options[{index}].id", "option id")
                if option.fields and in_table:
                    self.problems.add(
                        f"{path}.options[{index}].fields",
                        "options of a table column hold no fields",
                    )
        elif spec.options is not None:
            self.problems.add(
                f"{path}.options", f"options apply to multiple_choice fields, not {spec.type}"
            )

    def _links(self, path: str, spec: FieldSpec) -> None:
        """Catalog and form references, and the keys that only some types take."""
        kind = spec.type
        if kind == "catalog":
            if spec.catalog_id is None:
                self.problems.add(f"{path}.catalog_id", "a catalog field needs catalog_id")
            elif spec.catalog_id not in self.catalogs:
                self.problems.add(
                    f"{path}.catalog_id", f"no catalog with id {spec.catalog_id} in this file"
                )
        elif spec.catalog_id is not None:
            self.problems.add(
                f"{path}.catalog_id", f"catalog_id applies to catalog fields, not {kind}"
            )
        if kind == "form_link" and spec.form_id is not None and spec.form_id not in self.form_ids:
            self.problems.add(f"{path}.form_id", f"no form with id {spec.form_id} in this file")
        if spec.decimal_places is not None and kind not in DECIMAL_TYPES:
            self.problems.add(
                f"{path}.decimal_places", "decimal_places applies to number and money"
            )

    def _steps(self, path: str, spec: FieldSpec) -> None:
        for key in ("required_step", "immutable_step"):
            step = getattr(spec, key)
            if step is not None and step > self.step_count:
                self.problems.add(
                    f"{path}.{key}", f"step {step} does not exist: the form has {self.step_count}"
                )

    def _nesting(self, path: str, spec: FieldSpec, parent: FieldSpec | None) -> None:
        kind = spec.type
        if spec.fields is not None and kind != "title":
            self.problems.add(f"{path}.fields", f"only title fields hold fields, not {kind}")
        if spec.columns is not None and kind != "table":
            self.problems.add(f"{path}.columns", f"only table fields hold columns, not {kind}")
        if kind == "table" and not spec.columns:
            self.problems.add(f"{path}.columns", "a table field needs columns")
        if parent is not None and parent.type == "table" and kind in {"table", "title"}:
            self.problems.add(f"{path}.type", f"a table column cannot be a {kind}")


def _definition(spec: FieldSpec, parent: FieldSpec | None, option_id: int | None) -> FieldDef:
    return FieldDef(
        id=spec.id,
        type=spec.type,
        name=spec.name,
        code=spec.code,
        parent_id=parent.id if parent is not None else None,
        required_step=spec.required_step,
        immutable_step=spec.immutable_step,
        options=[
            ChoiceOption(id=o.id, value=o.value, deleted=o.deleted) for o in spec.options or []
        ],
        catalog_id=spec.catalog_id,
        multiple_choice=spec.multiple_choice,
        decimal_places=spec.decimal_places,
        form_id=spec.form_id,
        multiline=spec.multiline,
        text=spec.text,
        option_id=option_id,
        default=spec.default,
    )
