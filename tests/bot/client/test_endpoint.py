"""An endpoint written once is a coroutine on the async client and a plain method on the sync
client, with the parameters and docstring of its builder."""

from __future__ import annotations

import inspect

from pyrus_bots.bot.client import (
    AsyncPyrusClient,
    PyrusClient,
    endpoints,
    endpoints_catalogs,
    endpoints_lists,
    endpoints_people,
)
from pyrus_bots.bot.client.base import PyrusClientBase
from pyrus_bots.bot.client.endpoint import Endpoint, RegistryEndpoint

ENDPOINTS = [
    name
    for name, member in vars(PyrusClientBase).items()
    if isinstance(member, Endpoint | RegistryEndpoint)
]


def test_every_builder_is_a_method_of_both_clients() -> None:
    assert set(ENDPOINTS) == (set(endpoints.__all__) | set(endpoints_people.__all__)) - {
        "CatalogFilters",
        "FileData",
        "register_body",
    } | set(endpoints_lists.__all__) | set(endpoints_catalogs.__all__)


def test_async_methods_are_coroutines_and_sync_methods_are_not() -> None:
    for name in ENDPOINTS:
        assert inspect.iscoroutinefunction(getattr(AsyncPyrusClient, name)), name
        assert not inspect.iscoroutinefunction(getattr(PyrusClient, name)), name
        bound = getattr(AsyncPyrusClient("token"), name)
        assert inspect.iscoroutinefunction(bound), name


def test_methods_show_the_builder_signature_and_docstring() -> None:
    client = PyrusClient("token")
    for name in ENDPOINTS:
        builder = next(
            found
            for module in (endpoints, endpoints_catalogs, endpoints_lists, endpoints_people)
            if (found := getattr(module, name, None)) is not None
        )
        method = getattr(client, name)
        assert method.__name__ == name
        assert method.__doc__ == builder.__doc__ and method.__doc__
        assert inspect.signature(method).parameters == inspect.signature(builder).parameters
        unbound = inspect.signature(getattr(AsyncPyrusClient, name))
        assert next(iter(unbound.parameters)) == "self"
    client.close()
