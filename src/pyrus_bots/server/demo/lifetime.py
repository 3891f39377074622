"""The demo's processes live and die together.

The runner starts the platform and the bots in sessions of their own (a Ctrl-C in the terminal
reaches only the runner, which stops them in order). So the runner must stop them on every
signal that ends it (Ctrl-C, ``kill``, the terminal closing), and the children must not outlive
a runner that is killed outright (``kill -9``): on Linux each child asks the kernel for SIGKILL
when its parent dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
TERMINATING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Stop(KeyboardInterrupt):
    """A terminating signal reached the runner: stop the demo."""


@contextlib.contextmanager
def stop_on_terminating_signals() -> Iterator[None]:
    """Turn the first terminating signal into :class:`Stop`; ignore the ones that follow (the
    stopping must not be cut short: a closing terminal sends SIGHUP and then SIGTERM or SIGCONT).
    A signal ignored when the runner started (``nohup`` ignores SIGHUP) stays ignored."""
    stopping = False

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise Stop

    previous: dict[signal.Signals, Any] = {}
    for signum in TERMINATING_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue
        previous[signum] = signal.signal(signum, on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that makes the child get SIGKILL when the
    process starting it dies; ``None`` where the kernel offers no such thing (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    parent = os.getpid()

    def in_child() -> None:
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return in_child


def say(text: str, *, error: bool = False) -> None:
    """Print, unless the terminal is gone (after SIGHUP a write may fail with EIO)."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr if error else sys.stdout, flush=True)
