"""A real HTTP server on loopback that serves the files attachment URLs point at.

Paths: ``/files/<name>`` answers :data:`CONTENT` (``receipt.png`` answers :data:`RECEIPT`);
``/named/`` answers with a ``Content-Disposition`` name and a path ending in ``/``;
``/big?bytes=N`` streams N bytes without a Content-Length; ``/slow`` answers after
:data:`SLOW_SECONDS`; ``/empty`` answers an empty body; ``/redirect`` answers 302 to
``/files/x``; anything else 404. Every request is counted in ``hits``. ``POST /hook`` is a bot:
it answers ``reply`` (JSON bytes) to every webhook.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONTENT = bytes(range(256)) * 9000  # 2.3 MB: three chunks in the store
RECEIPT = b"\x89PNG\r\n\x1a\n" + b"receipt" * 100
NAMED = b"named by the header"
SLOW_SECONDS = 3.0


@dataclass
class FileOrigin:
    base_url: str
    hits: list[str] = field(default_factory=list)
    reply: bytes = b"{}"


def _handler(origin: FileOrigin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {"Content-Type": "application/json", "Content-Length": str(len(origin.reply))}
            self._answer(200, origin.reply, headers)

        def do_GET(self) -> None:
            origin.hits.append(self.path)
            parts = urlsplit(self.path)
            path = parts.path
            if path.startswith("/files/"):
                body = RECEIPT if path.endswith("/receipt.png") else CONTENT
                self._answer(200, body, {"Content-Length": str(len(body))})
            elif path == "/named/":
                disposition = 'attachment; filename="from-header.txt"'
                self._answer(200, NAMED, {"Content-Disposition": disposition})
            elif path == "/big":
                size = int(parse_qs(parts.query)["bytes"][0])
                self.send_response(200)
                self.end_headers()  # no Content-Length: the limit must hold while reading
                for start in range(0, size, 65536):
                    self.wfile.write(b"b" * min(65536, size - start))
            elif path == "/slow":
                time.sleep(SLOW_SECONDS)
                self._answer(200, b"late", {"Content-Length": "4"})
            elif path == "/empty":
                self._answer(200, b"", {"Content-Length": "0"})
            elif path == "/redirect":
                self._answer(302, b"", {"Location": "/files/x", "Content-Length": "0"})
            else:
                self._answer(404, b"no", {"Content-Length": "2"})

    return Handler


@contextmanager
def serve_files() -> Iterator[FileOrigin]:
    """The file origin on a free loopback port for the duration of the block."""
    origin = FileOrigin(base_url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(origin))
    server.daemon_threads = True
    origin.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()
