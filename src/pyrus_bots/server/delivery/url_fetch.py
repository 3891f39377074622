"""Attachments by URL (``{"url", "name"}``): the platform fetches the file itself.

The fetch goes through the same policy as webhooks (``delivery.policy``: the URL before any
look-up, then every address a name resolves to, on the socket actually used), never follows
redirects, and is bounded by ``url_attachment_timeout`` (seconds, the whole body included) and
``url_attachment_max_bytes``. The body is spooled to a temporary file (in memory up to one store
chunk), so it is fetched before the change's transaction opens and copied into the store inside
it. Every failure is a 400 with a Pyrus error code whose text never repeats the URL (it may
carry credentials or tokens).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import IO
from urllib.parse import unquote, urlsplit

import aiohttp

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.delivery.dispatcher import READ_CHUNK, tls_context
from pyrus_bots.server.delivery.policy import PolicyResolver, refusal_of, url_refusal
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store.files import CHUNK_BYTES
from pyrus_bots.server.tasks.url_attachments import MAX_FILE_NAME_LENGTH, FetchedFile, UrlRef

USER_AGENT = "Pyrus-Files-1"
FALLBACK_NAME = "file"


def _unfetchable(why: str) -> PyrusError:
    return PyrusError("unrecognized_attachment_id", f"the attachment URL cannot be fetched: {why}")


@dataclass(slots=True)
class _Spooled:
    """A fetched body in a temporary file: what :class:`FetchedFile` reads pieces from."""

    file: IO[bytes]

    async def pieces(self) -> AsyncIterator[bytes]:
        self.file.seek(0)
        while piece := self.file.read(CHUNK_BYTES):
            yield piece


def name_from_url(url: str) -> str | None:
    """The URL path's last segment, percent-decoded, or None when the path ends in ``/``."""
    segment = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return segment or None


def _clean(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.replace("\x00", "").replace("/", "_").replace("\\", "_").strip()
    return name[:MAX_FILE_NAME_LENGTH] or None


class UrlFetcher:
    """Fetches attachment URLs for one request; use through :func:`fetch_urls`."""

    def __init__(self, settings: Settings, stack: AsyncExitStack) -> None:
        self._settings = settings
        self._stack = stack
        connector = aiohttp.TCPConnector(
            resolver=PolicyResolver(settings.hook_policy),
            ssl=tls_context(settings.hook_ca_bundle),
            enable_cleanup_closed=True,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            headers={"User-Agent": USER_AGENT},
        )

    async def fetch(self, ref: UrlRef) -> FetchedFile:
        """The file at ``ref.url``, or a 400 ``PyrusError`` saying why not."""
        refusal = url_refusal(ref.url, self._settings.hook_policy)
        if refusal is not None:
            raise _unfetchable(f"refused by the URL policy ({refusal})")
        seconds = self._settings.url_attachment_timeout
        try:
            async with asyncio.timeout(seconds):
                return await self._get(ref)
        except TimeoutError:
            raise _unfetchable(f"no complete answer within {seconds:g} s") from None
        except aiohttp.InvalidURL:
            raise _unfetchable("malformed URL") from None
        except (aiohttp.ClientError, OSError) as exc:
            reason = refusal_of(exc)
            if reason is not None:
                raise _unfetchable(f"refused by the URL policy ({reason})") from None
            raise _unfetchable("the server cannot be reached") from None

    async def _get(self, ref: UrlRef) -> FetchedFile:
        limit = self._settings.url_attachment_max_bytes
        async with self.session.get(ref.url, allow_redirects=False) as response:
            if not 200 <= response.status < 300:
                raise _unfetchable(f"the server answered HTTP {response.status}")
            if (response.content_length or 0) > limit:
                raise PyrusError("attachment_too_big", f"the file is larger than {limit} bytes")
            # Closed (and deleted) by the stack when the request's change is written.
            spooled = tempfile.SpooledTemporaryFile(CHUNK_BYTES)  # noqa: SIM115
            body = self._stack.enter_context(spooled)
            size = 0
            while piece := await response.content.read(READ_CHUNK):
                size += len(piece)
                if size > limit:
                    raise PyrusError("attachment_too_big", f"the file is larger than {limit} bytes")
                body.write(piece)
            if size == 0:
                raise PyrusError("empty_file", "the file at the attachment URL is empty")
            disposition = response.content_disposition
            name = (
                _clean(ref.name)
                or _clean(name_from_url(ref.url))
                or _clean(disposition.filename if disposition is not None else None)
                or FALLBACK_NAME
            )
            return FetchedFile(name=name, size=size, pieces=_Spooled(body).pieces)


@asynccontextmanager
async def fetch_urls(
    settings: Settings, refs: Iterable[UrlRef]
) -> AsyncIterator[dict[UrlRef, FetchedFile]]:
    """Fetch every URL a request attaches, one after the other; the bodies stay readable until
    the block ends (then their temporary files go). Nothing is fetched when ``refs`` is empty."""
    wanted = list(dict.fromkeys(refs))
    async with AsyncExitStack() as stack:
        fetched: dict[UrlRef, FetchedFile] = {}
        if wanted:
            fetcher = UrlFetcher(settings, stack)
            stack.push_async_callback(fetcher.session.close)
            for ref in wanted:
                fetched[ref] = await fetcher.fetch(ref)
        yield fetched
