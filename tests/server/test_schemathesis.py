"""Property-based fuzzing of every documented operation with schemathesis: no 5XX, ever.

The OpenAPI document is read from a running platform (``/openapi.json``); each operation gets a
bounded number of generated requests, valid ones (positive mode) and requests that break the
schema (negative mode), sent with a person's token that holds every right, to a platform of
its own (the fuzzing creates, changes and deletes objects). Only the admin API
and the service endpoints are left out (they are not the Pyrus API).
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from api.harness import ALICE, RunningServer, person_client
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from pyrus_bots.protocol import PersonRights
from pyrus_bots.server.store import people
from pyrus_bots.server.store.db import Database

EXAMPLES_PER_OPERATION = 5
pytestmark = pytest.mark.timeout(240)


async def _grant_every_right(database: Database) -> None:
    async with database.session() as session, session.begin():
        every = [name.lower() for name in PersonRights.__members__]
        await people.update_person(session, ALICE["id"], rights=every)


def test_no_server_errors(module_server: RunningServer) -> None:
    module_server.call(_grant_every_right)  # so that member and role writes are reached too
    schema = schemathesis.openapi.from_url(f"{module_server.base_url}/openapi.json")
    token = person_client(module_server, ALICE).headers["Authorization"]
    headers = {"Authorization": token}
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(("/v4/", "/services/")):
            continue
        checked += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: schemathesis.Case) -> None:
                response = case.call(base_url=module_server.base_url, headers=headers)
                statuses[response.status_code // 100 * 100] += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200} "
                        f"-> {response.status_code} {response.text[:200]}"
                    )
                else:
                    # Every answer is JSON, and every error carries a Pyrus code.
                    if response.status_code >= 400:
                        assert "error_code" in response.json(), response.text

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing in this operation can be made invalid (no parameters, no body).
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert checked >= 30
    # The generator reached the handlers: many requests, successes among them.
    assert statuses[200] >= 30 and statuses[400] >= 30, statuses
    assert not failures, "\n".join(failures[:20])
