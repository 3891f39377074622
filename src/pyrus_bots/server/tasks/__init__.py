"""Every change to a task, in one place: the API, the web UI and bot replies all come here.

``changes`` validates a request through the pure workflow engine, writes the task, its comment
and its people index, and ``outbox`` writes the deliveries the change triggers, all in the
caller's transaction (DESIGN.md 4, "Outbox").

``member_changes``, ``role_changes`` and ``list_changes`` hold the directory and list writes
that the API and the web UI share, so that both check and write them alike.
"""
