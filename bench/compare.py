"""Before/after: the delivery drain of two checkouts, measured in alternation in one run.

A change's effect on throughput is smaller than this machine's drift between runs (the same
code has measured 560 and 757 deliveries/s an hour apart), so figures taken on different days
or minutes cannot be compared. This script runs part (1) of ``bench/delivery.py`` (5,000 tasks
waiting on a bot step, drained at concurrency 64) once per checkout and round, alternating the
order of the two checkouts every round, and reports each run and the medians.

A checkout with its own ``.venv`` runs in it (``make .venv/.installed`` there); one without runs
in this interpreter with its own ``src`` first on the path, e.g. an older commit unpacked with
``mkdir ../base && git archive REV src bench | tar -x -C ../base``.

Usage:  .venv/bin/python bench/compare.py --base ../base [--rounds 4] [--kinds sqlite,postgresql]
        [--write]
PostgreSQL runs need PYRUS_BOTS_TEST_POSTGRES_URL. ``--write`` replaces the "Before and after"
section of docs/benchmarks.md. Never part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from results import replace_section  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent.parent

# Run inside the checkout's own interpreter, so its own package and bench script are measured.
RUN_ONE = """
import asyncio, json, sys, tempfile
from pathlib import Path
sys.path.insert(0, "bench")
import delivery

async def main():
    with tempfile.TemporaryDirectory() as tmp:
        r = await delivery.part_one(sys.argv[1], int(sys.argv[2]), 64, Path(tmp), False)
    print(json.dumps({"rate": r["rate"], "cpu": r["party_cpu_ms"]}))

asyncio.run(main())
"""


def run_once(checkout: Path, kind: str, tasks: int) -> dict[str, Any]:
    own = checkout / ".venv" / "bin" / "python"
    python = str(own) if own.exists() else sys.executable
    done = subprocess.run(
        [python, "-c", RUN_ONE, kind, str(tasks)],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def section(label: str, runs: dict[tuple[str, str], list[dict[str, Any]]], rounds: int) -> str:
    lines = [
        "## Before and after",
        "",
        f"`bench/compare.py`, {date.today().isoformat()}, {platform.machine()}, "
        f"{label}: part (1) of `bench/delivery.py` (5,000 waiting tasks, concurrency 64, no "
        f"call limit), {rounds} rounds, the two checkouts alternating (the order flips each "
        "round). CPU is milliseconds per delivery from /proc.",
        "",
        "| database | checkout | deliveries/s, each run | median /s | worker CPU (median) "
        "| PostgreSQL CPU (median) |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for (kind, side), results in runs.items():
        rates = [r["rate"] for r in results]
        worker = statistics.median(r["cpu"]["this process"] for r in results)
        database = statistics.median(r["cpu"]["postgresql"] for r in results)
        lines.append(
            f"| {kind} | {side} | {', '.join(f'{x:.0f}' for x in rates)} | "
            f"{statistics.median(rates):.0f} | {worker:.2f} | {database:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--kinds", default="sqlite,postgresql")
    parser.add_argument("--label", default="the base checkout against this one")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    sides = {"before": args.base.resolve(), "after": HERE}
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for kind in args.kinds.split(","):
        for round_number in range(args.rounds):
            order = ["before", "after"] if round_number % 2 == 0 else ["after", "before"]
            for side in order:
                result = run_once(sides[side], kind, args.tasks)
                runs.setdefault((kind, side), []).append(result)
                print(kind, side, f"{result['rate']:.0f}/s", json.dumps(result["cpu"]), flush=True)
    text = section(
        args.label,
        dict(sorted(runs.items(), key=lambda kv: (kv[0][0], kv[0][1] != "before"))),
        args.rounds,
    )
    print(text)
    if args.write:
        replace_section(text)


if __name__ == "__main__":
    sys.exit(main())
