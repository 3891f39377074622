"""Handler routing: by event, form, step and any predicate; first match in registration order.

Filters on event, form and step read the raw payload (no model is built to route); a ``when``
predicate gets the :class:`~pyrus_bots.bot.event.Event`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeAlias

from pyrus_bots.bot.event import Event

__all__ = ["AsyncHandler", "Handler", "Predicate", "Route", "Router", "SyncHandler"]

SyncHandler: TypeAlias = Callable[[Event], Any]
AsyncHandler: TypeAlias = Callable[[Event], Awaitable[Any]]
Handler: TypeAlias = SyncHandler | AsyncHandler
Predicate: TypeAlias = Callable[[Event], bool]

EVENTS = frozenset({"comment", "close"})


def _id_set(name: str, value: int | Collection[int] | None) -> frozenset[int] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, int) else list(value)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(f"{name} takes an int or a collection of ints, not {item!r}")
    return frozenset(items)


@dataclass(frozen=True, slots=True)
class Route:
    """One handler and the deliveries it takes."""

    handler: Handler
    is_async: bool
    event: str | None = None
    form_ids: frozenset[int] | None = None
    steps: frozenset[int] | None = None
    when: Predicate | None = None

    @classmethod
    def build(
        cls,
        handler: Handler,
        *,
        event: str | None,
        form_id: int | Collection[int] | None,
        step: int | Collection[int] | None,
        when: Predicate | None,
    ) -> Route:
        if event is not None and event not in EVENTS:
            raise ValueError(f"event is one of {sorted(EVENTS)} or None, not {event!r}")
        if not callable(handler):
            raise TypeError(f"a handler is a function, not {handler!r}")
        return cls(
            handler=handler,
            is_async=is_async_callable(handler),
            event=event,
            form_ids=_id_set("form_id", form_id),
            steps=_id_set("step", step),
            when=when,
        )

    def matches(self, event: Event) -> bool:
        if self.event is not None and self.event != event.kind:
            return False
        task = event.task_dict
        if self.form_ids is not None and task.get("form_id") not in self.form_ids:
            return False
        if self.steps is not None and task.get("current_step") not in self.steps:
            return False
        return self.when is None or bool(self.when(event))

    @property
    def name(self) -> str:
        return getattr(self.handler, "__qualname__", repr(self.handler))


def is_async_callable(obj: Any) -> bool:
    """Whether calling ``obj`` returns an awaitable (coroutine functions, partials of them,
    objects with an ``async def __call__``)."""
    while hasattr(obj, "func") and not inspect.isfunction(obj):  # functools.partial
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or inspect.iscoroutinefunction(
        getattr(obj, "__call__", None)  # noqa: B004 - looking for async __call__
    )


class Router:
    """Routes in registration order plus an optional default."""

    __slots__ = ("default", "routes")

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.default: Route | None = None

    def add(self, route: Route) -> None:
        self.routes.append(route)

    def match(self, event: Event) -> Route | None:
        for route in self.routes:
            if route.matches(event):
                return route
        return self.default
