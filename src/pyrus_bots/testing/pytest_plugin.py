"""pytest plugin (registered as the ``pyrus_bots`` pytest11 entry point): fixtures for testing
bots written with the SDK.

- ``pyrus_api``: a fresh :class:`~pyrus_bots.testing.fake_api.FakePyrusAPI` (in process; serve
  it on loopback with ``pyrus_api.serve_in_thread()`` when a test needs real HTTP).
- ``bot_tester``: a factory, ``tester = bot_tester(bot)``, returning a
  :class:`~pyrus_bots.testing.BotTester` whose bot talks to ``pyrus_api``.

::

    async def test_rejects_big_amounts(bot_tester):
        reply = await bot_tester(bot).send(form_id=321, fields={"u_amount": 5000})
        assert reply.rejected
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily: loading the plugin must stay cheap for every test run
    from pyrus_bots.bot.app import Bot
    from pyrus_bots.testing.fake_api import FakePyrusAPI
    from pyrus_bots.testing.tester import BotTester


@pytest.fixture
def pyrus_api() -> FakePyrusAPI:
    """A fake Pyrus API recording the calls bots make (``.calls``, ``.comments(task_id)``)."""
    from pyrus_bots.testing.fake_api import FakePyrusAPI

    return FakePyrusAPI()


@pytest.fixture
def bot_tester(pyrus_api: FakePyrusAPI) -> Iterator[Callable[[Bot], BotTester]]:
    """``bot_tester(bot)``: a BotTester for ``bot`` wired to the ``pyrus_api`` fake."""
    from pyrus_bots.testing.tester import BotTester

    testers: list[BotTester] = []

    def make(bot: Bot) -> BotTester:
        tester = BotTester(bot, api=pyrus_api)
        testers.append(tester)
        return tester

    yield make
    for tester in testers:
        tester.close()
