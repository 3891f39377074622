"""Server settings: one place for every tunable, with its default (the settings reference).

Each option of ``pyrus-bots serve`` maps to one attribute here and also reads
``PYRUS_BOTS_<NAME>`` from the environment (DESIGN.md 3.1).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_DB_URL = "sqlite:///./pyrus-bots.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_RETRY_SCHEDULE = (0.0, 61.0, 122.0)  # seconds from the trigger (spec 1.5)
DEFAULT_BOT_TIMEOUT = 60.0  # a bot must answer 2XX within this many seconds
DEFAULT_BOT_CALL_LIMIT = (500, 600.0)  # calls per window (seconds), per bot
DEFAULT_API_LIMIT = (5000, 600.0)  # API requests per window (seconds), per user
DEFAULT_WORKER_LEASE = 90.0  # longer than one 60-s attempt
DEFAULT_BOT_CONCURRENCY = 10  # calls in flight to one bot
DEFAULT_GLOBAL_CONCURRENCY = 1000  # calls in flight in one worker
DEFAULT_TOKEN_TTL = 24 * 3600.0  # lifetime of API tokens issued by /v4/auth
WEBHOOK_TOKEN_TTL = 3600.0 * 2  # webhook access_token: valid at least one hour (DESIGN 3.4)
RESPONSE_LOG_LIMIT = 64 * 1024  # bytes of a bot's answer kept in the attempt log
MAX_REPLY_BYTES = 16 * 1024 * 1024  # a bot answer longer than this is cut and not applied

HookPolicy = Literal["default", "public-only", "any"]
Role = Literal["all", "api", "worker"]
SignatureCase = Literal["upper", "lower"]


def parse_rate(text: str) -> tuple[int, float]:
    """Parse ``"500/600"`` (calls per seconds) into ``(500, 600.0)``."""
    try:
        count, _, window = text.partition("/")
        parsed = (int(count), float(window or "600"))
    except ValueError:
        raise ValueError(f"expected CALLS/SECONDS such as 500/600, got {text!r}") from None
    if parsed[0] <= 0 or parsed[1] <= 0:
        raise ValueError(f"both numbers must be positive in {text!r}")
    return parsed


def parse_schedule(text: str) -> tuple[float, ...]:
    """Parse ``"0,61,122"`` into offsets in seconds, one per attempt."""
    try:
        offsets = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(
            f"expected comma-separated seconds such as 0,61,122, got {text!r}"
        ) from None
    if not offsets or any(b < a for a, b in itertools.pairwise(offsets)) or offsets[0] < 0:
        raise ValueError(f"offsets must be non-negative and ascending in {text!r}")
    return offsets


@dataclass(slots=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db: str = DEFAULT_DB_URL
    workspace: str | None = None
    public_url: str | None = None
    role: Role = "all"
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    bot_timeout: float = DEFAULT_BOT_TIMEOUT
    bot_call_limit: tuple[int, float] = DEFAULT_BOT_CALL_LIMIT
    api_limit: tuple[int, float] = DEFAULT_API_LIMIT
    hook_policy: HookPolicy = "default"
    signature_case: SignatureCase = "upper"
    hook_ca_bundle: str | None = None
    worker_lease: float = DEFAULT_WORKER_LEASE
    admin_token: str | None = None
    bot_concurrency: int = DEFAULT_BOT_CONCURRENCY
    global_concurrency: int = DEFAULT_GLOBAL_CONCURRENCY
    token_ttl: float = DEFAULT_TOKEN_TTL
    access_log: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The public URL without a trailing slash (``api_url`` is ``<base_url>/v4/``)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def loopback_only(self) -> bool:
        return self.host in {"127.0.0.1", "localhost", "::1"} or self.host.startswith("127.")
