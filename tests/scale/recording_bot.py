"""A bot on loopback in its own process that approves every task and records what it saw.

Each delivery appends one line ``task_id retry arrival_epoch status`` to ``--log`` (line
buffered, so a reader sees every finished request). ``--fail-every N`` answers 503 to the first
attempt for tasks whose id is a multiple of N: retries the bot causes itself. ``--hold S`` keeps
each request S seconds before answering.

Usage: python recording_bot.py --port P --secret S --log FILE [--fail-every N] [--hold S]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import orjson
from aiohttp import web

from pyrus_bots.protocol.signature import verify

APPROVE = orjson.dumps({"text": "approved by the scale bot", "approval_choice": "approved"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--hold", type=float, default=0.0)
    args = parser.parse_args()
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    async def handle(request: web.Request) -> web.Response:
        arrived = time.time()
        body = await request.read()
        if not verify(body, args.secret, request.headers.get("X-Pyrus-Sig")):
            log.write(f"0 bad-signature {arrived:.6f} 403\n")
            return web.Response(status=403)
        task_id = int(orjson.loads(body)["task_id"])
        retry = request.headers.get("X-Pyrus-Retry", "?")
        if args.fail_every and task_id % args.fail_every == 0 and retry == "1/3":
            log.write(f"{task_id} {retry} {arrived:.6f} 503\n")
            return web.Response(status=503)
        if args.hold:
            await asyncio.sleep(args.hold)
        log.write(f"{task_id} {retry} {arrived:.6f} 200\n")
        return web.Response(body=APPROVE, content_type="application/json")

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_post("/", handle)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
