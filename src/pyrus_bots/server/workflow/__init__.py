"""The pure workflow domain: no I/O, no clock reads (``now`` is passed in).

- ``state``: the shared dataclasses (tasks, comments, forms, the directory, events).
- ``engine``: apply a comment request or a task creation -> ``Applied(task, comment, events)``.
- ``values`` / ``addressing`` / ``updates``: field values of every type and ``field_updates``.
- ``render`` / ``entities``: Pyrus JSON for tasks, comments, forms, catalogs, people, files.
- ``access``: who sees and comments on a task, inboxes. ``triggers``: which bots to call.
- ``register``: the form register's filters and CSV.
"""
