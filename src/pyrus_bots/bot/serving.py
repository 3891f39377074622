"""The ways to serve a bot or a group of bots: ASGI (a target is an ASGI app itself), WSGI and
AWS Lambda. :class:`~pyrus_bots.bot.app.Bot` and :class:`~pyrus_bots.bot.group.BotGroup` both
inherit these from :class:`Served`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from pyrus_bots.bot.asgi import ASGIApp
from pyrus_bots.bot.aws_lambda import handle_lambda_event
from pyrus_bots.bot.pipeline import DeliveryPipeline
from pyrus_bots.bot.wsgi import WSGIApp

__all__ = ["Served"]


class Served(ABC):
    """Adapters over :meth:`bot_for_path` and :meth:`aclose`, each built once per target."""

    _asgi: ASGIApp | None = None
    _wsgi: WSGIApp | None = None

    @abstractmethod
    def bot_for_path(self, path: str) -> DeliveryPipeline | None:
        """The bot that answers deliveries posted to ``path`` (None: 404)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Shut down: let background handlers finish, close the stores."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """A bot (or group) is an ASGI application itself (``uvicorn module:bot``)."""
        await self.asgi()(scope, receive, send)

    def asgi(self) -> ASGIApp:
        """The target as an ASGI application (uvicorn, Starlette/FastAPI ``mount``)."""
        if self._asgi is None:
            self._asgi = ASGIApp(self)
        return self._asgi

    def wsgi(self) -> WSGIApp:
        """The target as a WSGI application (gunicorn, Flask, Django); the async pipeline runs
        on a private event loop thread."""
        if self._wsgi is None:
            self._wsgi = WSGIApp(self)
        return self._wsgi

    def lambda_handler(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """AWS Lambda entry point for API Gateway (REST and HTTP) and Function URL events:
        ``handler = bot.lambda_handler``."""
        return handle_lambda_event(self, event)
