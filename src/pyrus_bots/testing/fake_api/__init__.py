"""An in-memory fake of the Pyrus API v4 for testing bots and API clients.

:class:`FakePyrusAPI` is an ASGI app that answers the calls a bot makes (auth, tasks, comments,
forms, register, catalogs, files, people and their changes, roles, inbox, lists, bots) from data
you seed, and records every call. It is deliberately rough: a comment applies text, field values
by id/code/name, an approval choice on the current step (all approvers approved -> next step,
the last step closes; rejected -> previous step), ``action``, ``reassign_to`` and attachments;
there is no rights model and no full workflow engine (the platform, ``pyrus_bots.server``, has
those).

Use it in process::

    fake = FakePyrusAPI()
    fake.add_task({"id": 5, "text": "Buy paper"})
    client = fake.async_client()      # AsyncPyrusClient over httpx.ASGITransport

or over real HTTP on loopback::

    with fake.serve_in_thread() as base_url:
        client = PyrusClient.for_platform(base_url, access_token="any-token")

By default any bearer token is accepted and stands for the fake's bot (``fake.bot``); tokens
from ``POST /v4/auth`` stand for the account that logged in. ``fake.revoke_tokens()`` makes
every token issued so far answer 401, ``fake.fail_next(...)`` injects errors.
Uploads need ``python-multipart`` (part of the ``server`` and ``dev`` extras).
"""

from pyrus_bots.testing.fake_api.app import FakePyrusAPI
from pyrus_bots.testing.fake_api.common import RecordedCall
from pyrus_bots.testing.fake_api.loopback import serve_asgi_in_thread

__all__ = ["FakePyrusAPI", "RecordedCall", "serve_asgi_in_thread"]
