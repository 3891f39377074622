"""A local twin of a real Pyrus organisation: ``pyrus-bots workspace pull``.

- ``pull``: read the organisation through API v4 (the SDK's client), resumable
- ``convert``: API objects -> workspace objects; step approvers inferred from recent tasks
- ``tasks``: the pulled tasks (``--with-tasks``) as the workspace's ``tasks``, files left out
- ``output``: the workspace YAML (with comments) and the keys file
- ``cli``: the command
"""
