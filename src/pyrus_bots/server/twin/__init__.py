"""A local twin of a real Pyrus organisation: ``pyrus-bots workspace pull``.

- ``pull``: read the organisation through API v4 (the SDK's client), resumable
- ``convert``: API objects -> workspace objects; step approvers inferred from recent tasks
- ``output``: the workspace YAML (with comments) and the keys file
- ``cli``: the command
"""
