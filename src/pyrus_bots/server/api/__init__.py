"""The Pyrus-compatible API v4 (spec section 4), its tokens and its rate limit.

:func:`pyrus_bots.server.api.router.build_v4_router` holds every endpoint; the app factory mounts
it under ``/v4`` and ``/api/v4``. Handlers read and write through the store and the task service
(:mod:`pyrus_bots.server.tasks`) and answer Pyrus JSON (:mod:`.responses`).
"""
