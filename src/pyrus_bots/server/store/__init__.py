"""Persistence: SQLAlchemy 2 models, Alembic migrations and async repositories.

``db.Database`` opens SQLite (default) or PostgreSQL through one code path. Repository modules
hold async functions that take an ``AsyncSession`` and never commit: the caller owns the
transaction (``async with database.session() as s, s.begin(): ...``).

- ``directory``: ``load_directory``, ``directory_version``
- ``tasks``: reading tasks (by id, lists, inbox); ``task_writes``: id reservation, insert, lock
  and save; ``comments``: comments of tasks; ``task_index``: the ``task_people`` access/inbox index
- ``people``: organisation, people, rights, roles, ``find_credentials``
- ``bots``: ``BotRecord`` and bot management (100 per organisation)
- ``forms``, ``catalogs``, ``files``, ``tokens``
- ``counters``: cross-process counters and transaction-scoped named locks
- ``codec``: dataclass <-> JSON document (how ``TaskState`` and ``FormDef`` are stored)
- ``models`` + ``migrations/``: the schema; ``Database.migrate()`` runs Alembic in code
"""
