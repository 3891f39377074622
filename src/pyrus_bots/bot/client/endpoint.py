"""How one endpoint, written once in :mod:`~pyrus_bots.bot.client.endpoints`, becomes a method
of both clients.

An :class:`Endpoint` wraps a function that builds a :class:`~pyrus_bots.bot.client.core.Call`.
Read from a client, it is a real method: an ``async def`` that awaits the driver's ``_run`` on
an :class:`AsyncDriver`, a plain ``def`` that calls it on a :class:`SyncDriver`. Name, signature
and docstring are the builder's, so ``help()``, ``inspect`` and type checkers see the same
parameters on both clients, and the return type (awaitable on the async client) follows from
the builder's :class:`~pyrus_bots.bot.client.core.Call` type.
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable, Mapping
from types import MethodType
from typing import (
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    overload,
)

from pyrus_bots.bot.client.core import Call
from pyrus_bots.protocol import Task

__all__ = ["AsyncDriver", "Endpoint", "RegistryEndpoint", "SyncDriver"]

P = ParamSpec("P")
T = TypeVar("T")
JsonT_co = TypeVar("JsonT_co", covariant=True)
CsvT_co = TypeVar("CsvT_co", covariant=True)


class AsyncDriver(ABC):
    """A client that performs calls with asyncio: its endpoint methods are coroutines."""

    @abstractmethod
    async def _run(self, call: Call[T]) -> T: ...


class SyncDriver(ABC):
    """A client that performs calls blocking: its endpoint methods return the answer."""

    @abstractmethod
    def _run(self, call: Call[T]) -> T: ...


def _method_signature(build: Callable[..., Any]) -> inspect.Signature:
    signature = inspect.signature(build)
    this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return signature.replace(
        parameters=[this, *signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )


class _Method:
    """The runtime half of an endpoint: one async and one sync function over ``build``."""

    def __init__(self, build: Callable[..., Call[Any]]) -> None:
        async def call_async(self: AsyncDriver, /, *args: Any, **kwargs: Any) -> Any:
            return await self._run(build(*args, **kwargs))

        def call_sync(self: SyncDriver, /, *args: Any, **kwargs: Any) -> Any:
            return self._run(build(*args, **kwargs))

        signature = _method_signature(build)
        for method in (call_async, call_sync):
            functools.update_wrapper(method, build)
            method.__dict__["__signature__"] = signature  # what inspect.signature reads
        self._async = call_async
        self._sync = call_sync

    def __set_name__(self, owner: type, name: str) -> None:
        for method in (self._async, self._sync):
            method.__name__ = name
            method.__qualname__ = f"{owner.__qualname__}.{name}"

    def _bind(self, client: object, owner: type | None) -> Any:
        kind = owner if owner is not None else type(client)
        method = self._async if issubclass(kind, AsyncDriver) else self._sync
        return method if client is None else MethodType(method, client)


class Endpoint(_Method, Generic[P, T]):
    """A client method made from ``build(*args) -> Call[T]``."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        super().__init__(build)

    @overload
    def __get__(
        self, client: None, owner: type[AsyncDriver]
    ) -> Callable[Concatenate[AsyncDriver, P], Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(
        self, client: None, owner: type[SyncDriver]
    ) -> Callable[Concatenate[SyncDriver, P], T]: ...
    @overload
    def __get__(self, client: None, owner: type) -> Self: ...
    @overload
    def __get__(
        self, client: AsyncDriver, owner: type | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, client: SyncDriver, owner: type | None = None) -> Callable[P, T]: ...
    def __get__(self, client: object, owner: type | None = None) -> Any:
        return self._bind(client, owner)


class RegistryMethod(Protocol[JsonT_co, CsvT_co]):
    """``get_registry``: the JSON answer by default, the CSV text with ``format="csv"``."""

    @overload
    def __call__(
        self,
        form_id: int,
        request: Mapping[str, Any] | None = None,
        *,
        format: Literal["json"] = "json",
        steps: int | Iterable[int] | None = None,
        task_ids: int | Iterable[int] | None = None,
        field_ids: int | Iterable[int] | None = None,
        include_archived: bool = False,
        field_filters: Mapping[int, Any] | None = None,
        **filters: Any,
    ) -> JsonT_co: ...
    @overload
    def __call__(
        self,
        form_id: int,
        request: Mapping[str, Any] | None = None,
        *,
        format: Literal["csv"],
        steps: int | Iterable[int] | None = None,
        task_ids: int | Iterable[int] | None = None,
        field_ids: int | Iterable[int] | None = None,
        include_archived: bool = False,
        field_filters: Mapping[int, Any] | None = None,
        **filters: Any,
    ) -> CsvT_co: ...


class RegistryEndpoint(_Method):
    """The one endpoint whose answer type depends on an argument (``format``): typed by
    :class:`RegistryMethod`, because a ``ParamSpec`` cannot carry overloads."""

    @overload
    def __get__(self, client: None, owner: type) -> Self: ...
    @overload
    def __get__(
        self, client: AsyncDriver, owner: type | None = None
    ) -> RegistryMethod[Coroutine[Any, Any, list[Task]], Coroutine[Any, Any, str]]: ...
    @overload
    def __get__(
        self, client: SyncDriver, owner: type | None = None
    ) -> RegistryMethod[list[Task], str]: ...
    def __get__(self, client: object, owner: type | None = None) -> Any:
        return self._bind(client, owner)
