"""Server settings: one place for every tunable, with its default.

Each option of ``pyrus-bots serve`` maps to one attribute here and also reads
``PYRUS_BOTS_<NAME>`` from the environment (DESIGN.md 3.1). The tunables without an option are
read from ``PYRUS_BOTS_<NAME>`` too (:func:`with_environment`). ``docs/settings.default.toml``
is the commented reference of them all; a test keeps it equal to this class.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
ENV_PREFIX = "PYRUS_BOTS_"

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


NO_LIMIT = "off"


def parse_call_limit(text: str) -> tuple[int, float] | None:
    """Parse a bot call limit: ``"500/600"`` as :func:`parse_rate`, or ``"off"`` for none."""
    return None if text.strip().lower() == NO_LIMIT else parse_rate(text)


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
    # --- options of `pyrus-bots serve` (DESIGN.md 3.1) ---
    host: str = DEFAULT_HOST  # interface to listen on
    port: int = DEFAULT_PORT  # TCP port
    db: str = DEFAULT_DB_URL  # sqlite:///FILE or postgresql://...
    workspace: str | None = None  # workspace file (YAML or JSON) loaded at start
    public_url: str | None = None  # URL clients reach this server at (http://<host>:<port>)
    role: Role = "all"  # api, delivery worker, or both
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE  # attempt offsets from a trigger
    bot_timeout: float = DEFAULT_BOT_TIMEOUT  # seconds a bot has to answer 2XX
    bot_call_limit: tuple[int, float] | None = DEFAULT_BOT_CALL_LIMIT  # per bot; None: no limit
    api_limit: tuple[int, float] = DEFAULT_API_LIMIT  # API requests per window, per user
    hook_policy: HookPolicy = "default"  # which hook addresses may be called
    signature_case: SignatureCase = "upper"  # hex case of X-Pyrus-Sig
    hook_ca_bundle: str | None = None  # CA bundle for HTTPS hooks (else the system store)
    worker_lease: float = DEFAULT_WORKER_LEASE  # seconds a worker holds a claimed delivery
    admin_token: str | None = None  # token of the admin API and UI
    access_log: bool = False  # log every request (costs ~15 %)
    # --- tunables without an option (PYRUS_BOTS_<NAME>) ---
    bot_concurrency: int = DEFAULT_BOT_CONCURRENCY  # calls in flight to one bot
    global_concurrency: int = DEFAULT_GLOBAL_CONCURRENCY  # calls in flight in one worker
    token_ttl: float = DEFAULT_TOKEN_TTL  # seconds an API token from /v4/auth stays valid
    webhook_token_ttl: float = 7200.0  # seconds a webhook access_token stays valid (>= 1 h)
    token_reuse_margin: float = 60.0  # renew a cached webhook token this long before < 1 h left
    response_log_limit: int = 64 * 1024  # bytes of a bot's answer kept in the attempt log
    request_log_limit: int = 64 * 1024  # bytes of a webhook body kept (size, SHA-256 name all)
    max_reply_bytes: int = 16 * 1024 * 1024  # a longer bot answer is cut and not applied
    poll_interval: float = 1.0  # seconds between claims when nothing wakes the worker
    claim_batch: int = 50  # rows per claim: reading them blocks the event loop briefly
    claim_coalesce: float = 0.01  # seconds finishing calls get to free slots for one claim
    rate_claim_horizon: float = 1.0  # claim a rate-limited bot's rows this long before they go
    rebuild_after_wait: float = 0.5  # a payload that waited longer for the limit is rebuilt
    limit_retry_wait: float = 0.02  # least seconds before asking again for a call another took
    call_window_margin: float = 0.02  # seconds a full call window is kept beyond its length
    bot_list_ttl: float = 1.0  # seconds the list of bots (enabled, paused) is reused
    error_backoff: float = 5.0  # seconds before a delivery that hit an internal error retries
    worker_db_slots: int = 8  # attempt transactions at once: the rest of the pool is the API's
    finish_batch: int = 64  # answered attempts per transaction: more blocks the loop longer
    stop_grace: float = 1.0  # seconds beyond the bot timeout that stopping waits for calls
    dns_cache_seconds: int = 10  # seconds resolved, policy-checked hook addresses are reused
    listen_reconnect_delay: float = 1.0  # seconds between tries to re-open a lost LISTEN
    pg_pool_size: int = 20  # PostgreSQL connections kept open per process
    pg_max_overflow: int = 10  # more connections a busy process may open beyond the pool
    pg_pool_recycle: float = 1800.0  # seconds; renew connections before server idle limits
    sqlite_busy_timeout: float = 30.0  # seconds to wait for SQLite's one writer
    ui_session_max_age: int = 12 * 3600  # seconds a web UI sign-in lasts
    # --- sign-in throttling and secrets at rest (docs/security.md) ---
    sign_in_account_failures: int = 5  # failed sign-ins of one account before backoff starts
    sign_in_address_failures: int = 20  # failed sign-ins from one address before backoff starts
    sign_in_backoff: float = 1.0  # seconds of the first block; each further failure doubles it
    sign_in_backoff_max: float = 900.0  # the longest block, in seconds
    sign_in_failure_memory: float = 3600.0  # seconds without a failure that forget the count
    purge_interval: float = 3600.0  # seconds between purges of expired tokens and sessions
    secrets_key: str | None = None  # Fernet key(s) "NEW,OLD" sealing bots' keys (else embedded)
    # --- attachments by URL (``{url, name}``), fetched under the hook URL policy ---
    url_attachment_timeout: float = 30.0  # seconds to fetch one file, body included
    url_attachment_max_bytes: int = 512 * 1024 * 1024  # a longer file is refused
    extra: dict[str, str] = field(default_factory=dict)  # free-form, for extensions

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


OPTION_FIELDS = frozenset(
    {
        "host",
        "port",
        "db",
        "workspace",
        "public_url",
        "role",
        "retry_schedule",
        "bot_timeout",
        "bot_call_limit",
        "api_limit",
        "hook_policy",
        "signature_case",
        "hook_ca_bundle",
        "worker_lease",
        "admin_token",
        "access_log",
    }
)
"""Settings that ``pyrus-bots serve`` reads as options (which read the environment too)."""


TEXT_TUNABLES = frozenset({"secrets_key"})
"""Tunables read from the environment as text, not numbers."""


def tunables() -> list[dataclasses.Field[object]]:
    """The settings without a ``serve`` option: numbers read from ``PYRUS_BOTS_<NAME>``."""
    return [f for f in dataclasses.fields(Settings) if f.name not in OPTION_FIELDS | {"extra"}]


def with_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """``settings`` with every tunable that ``environ`` sets as ``PYRUS_BOTS_<NAME>``."""
    changes: dict[str, Any] = {}
    for tunable in tunables():
        text = environ.get(ENV_PREFIX + tunable.name.upper())
        if text is None:
            continue
        current = getattr(settings, tunable.name)
        kind: type[Any] = str if tunable.name in TEXT_TUNABLES else int
        if not isinstance(current, int) and kind is int:
            kind = float
        try:
            changes[tunable.name] = kind(text)
        except ValueError:
            raise ValueError(
                f"{ENV_PREFIX}{tunable.name.upper()}: expected a number, got {text!r}"
            ) from None
    return dataclasses.replace(settings, **changes) if changes else settings
