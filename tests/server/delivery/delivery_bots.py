"""Bots on loopback for the delivery tests: real HTTP servers with scripted answers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from pyrus_bots.protocol.signature import verify


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    at: float
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.body)
        return data

    def signed_by(self, secret: str) -> bool:
        return verify(self.body, secret, self.headers.get("X-Pyrus-Sig"))


Answer = Callable[[Received], Awaitable[web.StreamResponse]]


@dataclass
class ScriptedBot:
    """An aiohttp server in the test's loop; ``answer`` decides each response."""

    answer: Answer
    received: list[Received] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0
    ssl_context: Any = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        got = Received(time.monotonic(), dict(request.headers), await request.read())
        self.received.append(got)
        return await self.answer(got)

    async def start(self) -> ScriptedBot:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        self.port = free_port()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port, ssl_context=self.ssl_context)
        await site.start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def respond(status: int = 200, body: bytes = b"", **headers: str) -> Answer:
    async def answer(_: Received) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=headers)

    return answer


def approve(text: str = "approved by bot") -> Answer:
    return respond(200, orjson.dumps({"text": text, "approval_choice": "approved"}))


def hang(seconds: float = 30.0) -> Answer:
    async def answer(_: Received) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.Response()

    return answer


class HalfAnswerServer:
    """Answers headers promising a body, sends part of it and closes the connection."""

    def __init__(self) -> None:
        self.received: list[float] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.received.append(time.monotonic())
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n")
        writer.write(b"partial")
        await writer.drain()
        writer.close()

    async def start(self) -> HalfAnswerServer:
        self.port = free_port()
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


class ThreadedServer:
    """A WSGI (werkzeug) or ASGI (uvicorn) app served on loopback from a thread."""

    def __init__(
        self,
        app: Any,
        *,
        asgi: bool = False,
        certfile: str | None = None,
        keyfile: str | None = None,
    ) -> None:
        import threading

        self.port = free_port()
        self.scheme = "https" if certfile else "http"
        if asgi:
            import uvicorn

            config = uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                access_log=False,
                ssl_certfile=certfile,
                ssl_keyfile=keyfile,
                lifespan="off",
            )
            self._uvicorn: Any = uvicorn.Server(config)
            self._thread = threading.Thread(target=self._uvicorn.run, daemon=True)
        else:
            from werkzeug.serving import make_server

            self._uvicorn = None
            self._werkzeug = make_server("127.0.0.1", self.port, app, threaded=True)
            self._thread = threading.Thread(target=self._werkzeug.serve_forever, daemon=True)
        self._thread.start()
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("bot server did not start")

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        else:
            self._werkzeug.shutdown()
        self._thread.join(5)
