"""File memory benchmark: the server's peak memory while it takes and serves one large file.

A ``pyrus-bots serve`` process (SQLite in a temporary directory, or ``--db``) gets one upload
of ``--mb`` megabytes through ``POST /v4/files/upload`` (the client streams it from disk), then
serves it back through ``GET /v4/files/download/{id}`` (the client streams it to nowhere). The
measure is the growth of the server's peak resident memory (``VmHWM`` of ``/proc/PID/status``)
over its peak after start-up, once after the upload and once after the download.

``--src DIR`` runs the server from another source tree (``DIR/src``), so one machine measures
the code before and after a change: ``--before-src /path/to/old/checkout`` measures both and,
with ``--write``, replaces the "Files" section of docs/benchmarks.md.

Usage:  .venv/bin/python bench/file_memory.py [--mb 200] [--db URL] [--src DIR]
        [--before-src DIR] [--write]
Never part of the tests; takes well under a minute at 200 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from results import replace_section

HERE = Path(__file__).resolve().parent.parent
EMAIL, KEY = "files@bench.test", "bench-key"
WORKSPACE = {
    "organization": {"id": 1, "name": "Bench"},
    "people": [{"id": 1001, "email": EMAIL, "first_name": "F", "security_key": KEY}],
}
MB = 1024 * 1024


@dataclass
class Measure:
    upload_seconds: float
    upload_peak_growth: int
    download_seconds: float
    download_peak_growth: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss(pid: int) -> int:
    """Peak resident bytes of a process (``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc status")


def _write_payload(path: Path, size: int) -> None:
    block = os.urandom(MB)
    with path.open("wb") as out:
        for _ in range(size // MB):
            out.write(block)


def measure(src: Path, size_mb: int, db: str | None) -> Measure:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        workspace = directory / "workspace.json"
        workspace.write_text(json.dumps(WORKSPACE))
        payload = directory / "payload.bin"
        _write_payload(payload, size_mb * MB)
        db = db or f"sqlite:///{directory / 'files.db'}"
        # One server takes the upload, a fresh one serves the download: each phase's peak is
        # its own, not hidden under the other's.
        with _serve(src, db, workspace) as (pid, client):
            baseline = _peak_rss(pid)
            started = time.monotonic()
            with payload.open("rb") as stream:
                upload = client.post("/v4/files/upload", files={"file": ("big.bin", stream)})
            upload.raise_for_status()
            upload_seconds = time.monotonic() - started
            upload_growth = _peak_rss(pid) - baseline
            guid = upload.json()["guid"]
            task = client.post("/v4/tasks", json={"text": "big", "attachments": [guid]})
            task.raise_for_status()
            file_id = task.json()["task"]["attachments"][0]["id"]
        with _serve(src, db, workspace) as (pid, client):
            baseline = _peak_rss(pid)
            started = time.monotonic()
            received = 0
            with client.stream("GET", f"/v4/files/download/{file_id}") as response:
                response.raise_for_status()
                for piece in response.iter_bytes():
                    received += len(piece)
            if received != payload.stat().st_size:
                raise RuntimeError(f"downloaded {received} bytes of {payload.stat().st_size}")
            download_seconds = time.monotonic() - started
            download_growth = _peak_rss(pid) - baseline
    return Measure(upload_seconds, upload_growth, download_seconds, download_growth)


@contextlib.contextmanager
def _serve(src: Path, db: str, workspace: Path) -> Iterator[tuple[int, httpx.Client]]:
    """A server process from ``src`` and a client signed in to it, warmed up."""
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "from pyrus_bots.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        "--workspace",
        str(workspace),
    ]
    env = dict(os.environ, PYTHONPATH=str(src / "src"))
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            _wait_ready(server, client)
            auth = client.post("/v4/auth", json={"login": EMAIL, "security_key": KEY})
            client.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
            client.post("/v4/files/upload", files={"file": ("warm.txt", b"warm up")})
            yield server.pid, client
    finally:
        server.terminate()
        server.wait(10)


def _wait_ready(server: subprocess.Popen[bytes], client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError("the server did not start")
        time.sleep(0.1)


def _row(label: str, m: Measure) -> str:
    return (
        f"| {label} | {m.upload_peak_growth / MB:,.0f} MB | {m.upload_seconds:.1f} s "
        f"| {m.download_peak_growth / MB:,.0f} MB | {m.download_seconds:.1f} s |"
    )


def report(size_mb: int, db: str | None, rows: list[tuple[str, Measure]]) -> str:
    lines = [
        "## Files",
        "",
        f"One {size_mb} MB upload through `POST /v4/files/upload`, then its download through",
        "`GET /v4/files/download/{id}`, against a `pyrus-bots serve` process on "
        f"{'PostgreSQL' if db and db.startswith('postgres') else 'SQLite'}; the growth of the",
        "server's peak resident memory (VmHWM) over its peak after start-up (a fresh server",
        "for each of the two, so neither hides under the other). Measured with",
        f"`bench/file_memory.py --mb {size_mb}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| code | upload: peak growth | upload time | download: peak growth | download time |",
        "|---|---:|---:|---:|---:|",
        *(_row(label, m) for label, m in rows),
        "",
        "Before, the server read the whole upload into memory, hashed it, and handed it to the",
        "database driver as one value (several copies at once); a download read the whole blob",
        "back. Now the multipart parser spools the part to a temporary file, the upload is copied",
        "into `file_chunks` rows 1 MiB at a time while its MD5 is computed, and the download",
        "streams the chunks one short read at a time: the peak no longer grows with the file.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--src", type=Path, default=HERE, help="source tree of the server")
    parser.add_argument("--before-src", type=Path, default=None, help="the tree to compare with")
    parser.add_argument("--write", action="store_true", help="replace the Files section")
    args = parser.parse_args()
    rows: list[tuple[str, Measure]] = []
    if args.before_src is not None:
        rows.append(("before (blob in `files`)", measure(args.before_src, args.mb, args.db)))
    rows.append(("after (chunk rows, streamed)", measure(args.src, args.mb, args.db)))
    text = report(args.mb, args.db, rows)
    print(text)
    if args.write:
        print(f"written to {replace_section(text)}")


if __name__ == "__main__":
    main()
