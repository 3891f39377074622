"""CPU seconds per party of a benchmark (this process, the bot, PostgreSQL) from /proc."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (and its finished children) in seconds."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return 0.0


def postgres_pids(database: str) -> list[int]:
    """PostgreSQL backends serving ``database`` (other databases on the server are not ours)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().decode(errors="replace").split()
                if database in title:
                    pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds per party between ``start()`` and ``stop()``; PostgreSQL = the backends of
    this benchmark's database (shared background processes left out)."""

    def __init__(self, parties: dict[str, list[int]], database: str) -> None:
        self.parties = parties
        self.database = database
        self.before: dict[int, float] = {}
        self.spent: dict[str, float] = {}
        self.wall = 0.0

    def _sample(self) -> dict[int, float]:
        pids = {pid for pids in self.parties.values() for pid in pids}
        pids |= set(postgres_pids(self.database))
        return {pid: cpu_seconds(pid) for pid in pids}

    def start(self) -> None:
        self.before = self._sample()
        self.wall = time.perf_counter()

    def stop(self) -> None:
        self.wall = time.perf_counter() - self.wall
        after = self._sample()
        for name, pids in self.parties.items():
            self.spent[name] = sum(after.get(p, 0) - self.before.get(p, 0) for p in pids)
        # Backends that came and went between the samples are missed: a lower bound.
        self.spent["postgresql"] = sum(
            after[p] - self.before.get(p, 0.0) for p in postgres_pids(self.database) if p in after
        )


def bot_pid(port: int) -> int | None:
    """The pid of the bot process listening on ``port``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if b"bot" in cmdline and str(port).encode() in cmdline and b"--port" in cmdline:
                return int(entry.name)
    return None
