"""The platform's ASGI application: the Pyrus API, the admin API and UI, health and metrics.

``create_app(settings)`` builds everything from the settings; tests pass a ``clock`` and an
already migrated ``database``. The delivery worker runs in the app's lifespan when the role asks
for it (``all`` or ``worker``); a ``worker`` serves only ``/healthz`` and ``/metrics``. On
PostgreSQL, where any number of API and worker processes may share the database, the API rate
limit is kept in the database and a worker listens for new deliveries (``LISTEN``), see
docs/scaling.md.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from starlette.responses import Response

# The delivery metrics register themselves in the default registry (served on /metrics) on import.
import pyrus_bots.server.delivery.metrics  # noqa: F401
from pyrus_bots import __version__
from pyrus_bots.server.access_log import install_access_log_redaction
from pyrus_bots.server.admin import deliveries as admin_deliveries
from pyrus_bots.server.admin import delivery_export, people_passwords
from pyrus_bots.server.admin import ui as admin_ui
from pyrus_bots.server.admin.api import router as admin_router
from pyrus_bots.server.admin.headers import SecurityHeadersMiddleware
from pyrus_bots.server.api.context import ApiState
from pyrus_bots.server.api.errors import install_error_handlers
from pyrus_bots.server.api.middleware import RequestShapeMiddleware
from pyrus_bots.server.api.purge import PeriodicPurge
from pyrus_bots.server.api.ratelimit import InMemoryRateLimiter, RateLimiter, SharedRateLimiter
from pyrus_bots.server.api.responses import PyrusJSONResponse, error_response
from pyrus_bots.server.api.router import API_PREFIXES, build_files_router, build_v4_router
from pyrus_bots.server.clock import SYSTEM_CLOCK, Clock
from pyrus_bots.server.delivery.service import DeliveryService
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.notify import DeliveryListener
from pyrus_bots.server.store.secrets import configure_secrets_key

log = logging.getLogger("pyrus_bots.server")


def _api_limiter(settings: Settings, db: Database) -> RateLimiter:
    """Shared through the database on PostgreSQL (several API processes); in memory on SQLite."""
    if db.dialect == "postgresql":
        return SharedRateLimiter(db.engine, *settings.api_limit)
    return InMemoryRateLimiter(*settings.api_limit)


async def _listen_for_deliveries(
    db: Database, wake: Callable[[], None], settings: Settings
) -> DeliveryListener | None:
    """Wake this worker when any process commits deliveries (PostgreSQL); else poll only."""
    if db.dialect != "postgresql":
        return None
    listener = DeliveryListener(db.url, wake, reconnect_delay=settings.listen_reconnect_delay)
    try:
        await listener.start()
    except Exception as exc:
        log.warning("LISTEN for new deliveries failed (%s): polling only", type(exc).__name__)
        return None
    return listener


def create_app(
    settings: Settings, *, clock: Clock = SYSTEM_CLOCK, database: Database | None = None
) -> FastAPI:
    """The ASGI app for these settings. A ``database`` passed in stays open after shutdown."""
    owns_database = database is None
    configure_secrets_key(settings.secrets_key)  # the key that seals bots' keys at rest
    db = database if database is not None else Database(settings.db, settings=settings)
    state = ApiState(
        settings=settings,
        clock=clock,
        database=db,
        limiter=_api_limiter(settings, db),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        delivery = None
        listener = None
        install_access_log_redaction()  # after the server configured its logging
        purge = PeriodicPurge(db, settings, clock)
        purge.start()
        if settings.role in ("all", "worker"):
            delivery = DeliveryService(db, settings, clock)
            await delivery.start()
            state.on_deliveries = delivery.wake
            listener = await _listen_for_deliveries(db, delivery.wake, settings)
        app.state.delivery = delivery
        try:
            yield
        finally:
            await purge.stop()
            if listener is not None:
                await listener.stop()
            if delivery is not None:
                await delivery.stop()
            state.on_deliveries = lambda: None
            app.state.delivery = None
            if owns_database:
                await db.dispose()

    app = FastAPI(
        title="pyrus-bots",
        version=__version__,
        summary="The Pyrus API v4 subset served by the pyrus-bots platform",
        lifespan=lifespan,
        default_response_class=PyrusJSONResponse,
        redoc_url=None,
    )
    # Everything the routers of every part read from ``request.app.state``.
    app.state.api = state
    app.state.settings = settings
    app.state.database = db
    app.state.clock = clock
    app.state.delivery = None
    install_error_handlers(app)
    app.add_middleware(RequestShapeMiddleware, limits=state.limits)
    app.add_middleware(SecurityHeadersMiddleware)

    if settings.role in ("all", "api"):
        v4 = build_v4_router()
        for index, prefix in enumerate(API_PREFIXES):
            # One copy in the OpenAPI document; /api/v4 serves the same handlers.
            app.include_router(v4, prefix=prefix, include_in_schema=index == 0)
        app.include_router(build_files_router())
        app.include_router(admin_router)
        app.include_router(delivery_export.router)  # before /deliveries/{id} of the log
        app.include_router(people_passwords.api_router)
        app.include_router(admin_deliveries.router)
        app.include_router(admin_ui.router)
    elif settings.role == "worker":
        app.include_router(delivery_export.router)
        app.include_router(admin_deliveries.router)
    _add_service_routes(app, db)
    return app


def _add_service_routes(app: FastAPI, db: Database) -> None:
    @app.get("/healthz", tags=["service"], summary="Liveness and database reachability")
    async def healthz() -> Response:
        try:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return error_response("server_error", "the database is unreachable", 503)
        return PyrusJSONResponse({"status": "ok"})

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics (text format)")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
