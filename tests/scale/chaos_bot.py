"""A bot on loopback in its own process that misbehaves by task, the same way on every run.

What a task gets depends on ``task_id % 6`` (see ``KINDS``): an approval, a 503 or a time-out
on the first attempt and an approval afterwards, a 2XX with a body that is not JSON, a reply the
platform must refuse, or a 500 on every attempt. Each request appends ``task_id attempt status``
to ``--log`` (line buffered) when it arrives, before the answer.

Usage: python chaos_bot.py --port P --secret S --log FILE --hold SECONDS
"""

from __future__ import annotations

import argparse
import asyncio

import orjson
from aiohttp import web

from pyrus_bots.protocol.signature import verify

KINDS = ("approve", "fail_first", "time_out_first", "garbage", "invalid_reply", "always_fail")
APPROVE = orjson.dumps({"text": "approved by the chaos bot", "approval_choice": "approved"})
INVALID = orjson.dumps({"approval_choice": "perhaps", "text": "undecided"})


def kind_of(task_id: int) -> str:
    return KINDS[task_id % len(KINDS)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--hold", type=float, required=True)
    args = parser.parse_args()
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if not verify(body, args.secret, request.headers.get("X-Pyrus-Sig")):
            return web.Response(status=403)
        task_id = int(orjson.loads(body)["task_id"])
        attempt = request.headers.get("X-Pyrus-Retry", "?/3").split("/")[0]
        kind = kind_of(task_id)
        first = attempt == "1"
        if kind == "always_fail" or (kind == "fail_first" and first):
            status, answer = 500 if kind == "always_fail" else 503, b"down"
        elif kind == "time_out_first" and first:
            status, answer = 200, APPROVE
        elif kind == "garbage":
            status, answer = 200, b"<html>not json\x00"
        elif kind == "invalid_reply":
            status, answer = 200, INVALID
        else:
            status, answer = 200, APPROVE
        log.write(f"{task_id} {attempt} {status}\n")
        if kind == "time_out_first" and first:
            await asyncio.sleep(args.hold)
        return web.Response(status=status, body=answer, content_type="application/json")

    app = web.Application()
    app.router.add_post("/", handle)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
