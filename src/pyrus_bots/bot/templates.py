"""Choice and catalog names in replies, resolved the way they work on Pyrus: through the API.

A reply may say ``set_field("u_status", "Rejected")``; Pyrus takes only choice ids, and the task a
delivery carries lists a choice field's current value, not its options. After the handler returns
(and before the reply is rendered), the SDK reads the form template with the delivery's token
(``GET /v4/forms/{id}``) and, for catalog item names, the catalog (``GET /v4/catalogs/{id}``),
then checks every name: an unknown one is an :class:`UnknownChoiceError` or an
:class:`UnknownCatalogItemError` listing the valid names, raised in the bot.

Templates and catalogs are kept in a :class:`TemplateCache` (bounded, with a time to live) per
bot. Pyrus's task and form JSON carry no form version, so an entry lives for the TTL, and a name
missing from a cached entry makes the SDK read it once more before calling the name unknown (the
form may have gained the option since). A catalog the bot may not read (Pyrus answers 403)
leaves catalog names as they are: Pyrus resolves ``item_name`` itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from cachetools import TTLCache

from pyrus_bots.bot.choices import (
    apply_catalog,
    apply_form,
    names_in,
    needs_catalog,
    needs_form,
)
from pyrus_bots.bot.fields import FieldIndex, FieldSpec
from pyrus_bots.bot.reply import Reply, render_reply, unresolved_updates
from pyrus_bots.bot.reply_errors import FieldValueError, UnresolvedNameError
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.catalog import Catalog
from pyrus_bots.protocol.models.form import FormTemplate

if TYPE_CHECKING:
    from pyrus_bots.bot.client import AsyncPyrusClient

__all__ = [
    "DEFAULT_TEMPLATE_CACHE_SIZE",
    "DEFAULT_TEMPLATE_TTL",
    "TemplateCache",
    "render_for_delivery",
    "resolve_names",
]

DEFAULT_TEMPLATE_CACHE_SIZE = 256
"""Form templates (and, separately, catalogs) a bot keeps at most."""
DEFAULT_TEMPLATE_TTL = 300.0
"""Seconds a template or catalog read through the API is used before it is read again."""


class Delivery(Protocol):
    """What resolving names needs of a delivery (an :class:`~pyrus_bots.bot.event.Event`)."""

    @property
    def fields(self) -> FieldIndex: ...

    @property
    def form_id(self) -> int | None: ...

    @property
    def api(self) -> AsyncPyrusClient: ...


class TemplateCache:
    """Form templates and catalogs read through the API, bounded and with a time to live.

    ``timer`` is the clock the TTL is measured with (monotonic seconds; tests inject one)."""

    def __init__(
        self,
        maxsize: int = DEFAULT_TEMPLATE_CACHE_SIZE,
        ttl: float = DEFAULT_TEMPLATE_TTL,
        *,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._forms: TTLCache[int, FormTemplate] = TTLCache(maxsize, ttl, timer=timer)
        # None: the bot may not read that catalog (names then go to Pyrus as written).
        self._catalogs: TTLCache[int, Catalog | None] = TTLCache(maxsize, ttl, timer=timer)

    def __len__(self) -> int:
        return len(self._forms) + len(self._catalogs)

    def clear(self) -> None:
        self._forms.clear()
        self._catalogs.clear()

    async def form(
        self, api: AsyncPyrusClient, form_id: int, *, fresh: bool = False
    ) -> tuple[FormTemplate, bool]:
        """The template of ``form_id`` and whether it came from the cache; ``fresh`` reads it
        again. API errors propagate."""
        cached = None if fresh else self._forms.get(form_id)
        if cached is not None:
            return cached, True
        template = await api.get_form(form_id)
        self._forms[form_id] = template
        return template, False

    async def catalog(
        self, api: AsyncPyrusClient, catalog_id: int, *, fresh: bool = False
    ) -> tuple[Catalog | None, bool]:
        """The catalog (None when the API refuses it) and whether it came from the cache."""
        if not fresh and catalog_id in self._catalogs:
            return self._catalogs[catalog_id], True
        try:
            catalog: Catalog | None = await api.get_catalog(catalog_id)
        except PyrusError as error:
            if not 400 <= error.status < 500:
                return None, False  # no answer: try again next time
            catalog = None
        self._catalogs[catalog_id] = catalog
        return catalog, False


async def render_for_delivery(result: Any, event: Delivery, cache: TemplateCache) -> dict[str, Any]:
    """The comment request a handler's result stands for, names resolved through the API."""
    if isinstance(result, Reply):
        await resolve_names(result, event, cache)
    return render_reply(result, event.fields)


async def resolve_names(reply: Reply, event: Delivery, cache: TemplateCache) -> None:
    """Read what ``reply``'s choice and catalog names need into ``event.fields``."""
    index = event.fields
    choice_specs: list[tuple[FieldSpec, Any]] = []
    catalog_specs: list[tuple[FieldSpec, Any]] = []
    unknown = False
    for ref, value in unresolved_updates(reply):
        spec = _find(index, ref)
        if spec is None:
            unknown = True  # only the template lists the sub-fields of options not chosen
        elif needs_form(spec, value):
            choice_specs.append((spec, value))
        elif needs_catalog(spec, value):
            catalog_specs.append((spec, value))
    if unknown and not choice_specs and not catalog_specs:
        await _read_template_fields(event, cache, index)
        return
    if not choice_specs and not catalog_specs:
        return
    if not await _read_form(event, cache, index, choice_specs, catalog_specs):
        return
    for spec, value in catalog_specs:
        await _read_catalog(event, cache, spec, value)


async def _read_form(
    event: Delivery,
    cache: TemplateCache,
    index: FieldIndex,
    choice_specs: list[tuple[FieldSpec, Any]],
    catalog_specs: list[tuple[FieldSpec, Any]],
) -> bool:
    """Apply the form template to ``index``; False when it cannot be read and only catalog
    names wait for it (they then go to Pyrus by name)."""
    form_id = event.form_id
    try:
        if form_id is None:
            raise UnresolvedNameError("the task has no form, so no choice options")
        template, cached = await cache.form(event.api, form_id)
        apply_form(index, template)
        stale = any(_unknown_choice(spec, value) for spec, value in choice_specs) or any(
            spec.catalog_id is None for spec, _ in catalog_specs
        )
        if cached and stale:  # the form may have changed since it was cached
            template, _ = await cache.form(event.api, form_id, fresh=True)
            apply_form(index, template)
    except (PyrusError, RuntimeError, UnresolvedNameError) as error:
        if not choice_specs:
            return False
        spec = choice_specs[0][0]
        if error.__cause__ is not None:  # no answer: the connection error says why
            error = RuntimeError(f"{error}: {error.__cause__}")
        raise UnresolvedNameError(
            f"field {spec.label}: choice names need the form template, which could not be "
            f"read ({error}); use the choice id"
        ) from None
    return True


async def _read_template_fields(event: Delivery, cache: TemplateCache, index: FieldIndex) -> None:
    """Give ``index`` the fields only the template lists; when it cannot be read, rendering
    reports the unknown field."""
    if event.form_id is None:
        return
    try:
        template, _ = await cache.form(event.api, event.form_id)
    except (PyrusError, RuntimeError):
        return
    apply_form(index, template)


async def _read_catalog(event: Delivery, cache: TemplateCache, spec: FieldSpec, value: Any) -> None:
    if spec.catalog_id is None:
        return
    catalog, cached = await cache.catalog(event.api, spec.catalog_id)
    if catalog is not None:
        apply_catalog(spec, catalog)
        if cached and _unknown_item(spec, value):  # the catalog may have changed since
            catalog, _ = await cache.catalog(event.api, spec.catalog_id, fresh=True)
            if catalog is not None:
                apply_catalog(spec, catalog)


def _find(index: FieldIndex, ref: Any) -> FieldSpec | None:
    try:
        return index.find(ref)
    except FieldValueError:
        return None  # rendering raises the error, with its message


def _unknown_choice(spec: FieldSpec, value: Any) -> bool:
    return any(name not in spec.choices for name in names_in(value))


def _unknown_item(spec: FieldSpec, value: Any) -> bool:
    items = spec.catalog_items or {}
    return any(name not in items for name in names_in(value))
