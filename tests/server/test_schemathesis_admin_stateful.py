"""Schemathesis beyond single requests: the admin API fuzzed like the Pyrus API, and stateful
runs that follow links (create a task, then read and comment it; create a catalog, then sync
it; create a bot in the admin API, then change, pause and re-key it). No 5XX, ever; every error
is JSON with a Pyrus error code.

The served OpenAPI document has no links, so the stateful run adds them to its copy: each says
which answer field names the object a later request addresses.
"""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from api.harness import ALICE, RunningServer, person_client
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 8
STATEFUL_SCENARIOS = 25
STEPS_PER_SCENARIO = 8
pytestmark = pytest.mark.timeout(240)

# (source operation, status, target operation, target parameter, where the answer holds it)
LINKS = [
    ("POST /v4/tasks", "200", "GET /v4/tasks/{task_id}", "task_id", "/task/id"),
    ("POST /v4/tasks", "200", "POST /v4/tasks/{task_id}/comments", "task_id", "/task/id"),
    ("POST /v4/tasks/{task_id}/comments", "200", "GET /v4/tasks/{task_id}", "task_id", "/task/id"),
    ("PUT /v4/catalogs", "200", "GET /v4/catalogs/{catalog_id}", "catalog_id", "/catalog_id"),
    ("PUT /v4/catalogs", "200", "POST /v4/catalogs/{catalog_id}", "catalog_id", "/catalog_id"),
    ("PUT /v4/catalogs", "200", "POST /v4/catalogs/{catalog_id}/diff", "catalog_id", "/catalog_id"),
    ("PUT /v4/lists", "200", "GET /v4/lists/{list_id}", "list_id", "/id"),
    ("PUT /v4/lists", "200", "POST /v4/lists/{list_id}", "list_id", "/id"),
    ("PUT /v4/lists", "200", "GET /v4/lists/{list_id}/tasks", "list_id", "/id"),
    ("POST /v4/bots", "200", "PUT /v4/bots/{bot_id}", "bot_id", "/id"),
    ("POST /v4/bots", "200", "DELETE /v4/bots/{bot_id}", "bot_id", "/id"),
    ("POST /admin/api/bots", "200", "GET /admin/api/bots/{bot_id}", "bot_id", "/id"),
    ("POST /admin/api/bots", "200", "PUT /admin/api/bots/{bot_id}", "bot_id", "/id"),
    ("POST /admin/api/bots", "200", "POST /admin/api/bots/{bot_id}/reset-key", "bot_id", "/id"),
    ("POST /admin/api/bots", "200", "POST /admin/api/bots/{bot_id}/pause", "bot_id", "/id"),
    ("POST /admin/api/bots", "200", "POST /admin/api/bots/{bot_id}/resume", "bot_id", "/id"),
]


def _headers_for(path: str, person_token: str) -> dict[str, str]:
    # The test platform listens on loopback without an admin token: the admin API needs none.
    return {} if path.startswith("/admin/") else {"Authorization": person_token}


def _failure(case: schemathesis.Case, response: Any) -> str | None:
    """What is wrong with this answer: a 5XX, or an error without a Pyrus error code."""
    if response.status_code >= 500:
        return (
            f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200} "
            f"-> {response.status_code} {response.text[:200]}"
        )
    if response.status_code >= 400 and "error_code" not in response.json():
        return f"{case.method} {case.formatted_path} -> {response.status_code} without error_code"
    return None


def test_admin_api_never_answers_5xx(module_server: RunningServer) -> None:
    schema = schemathesis.openapi.from_url(f"{module_server.base_url}/openapi.json")
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/admin/api/"):
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
                response = case.call(base_url=module_server.base_url)
                statuses[response.status_code // 100 * 100] += 1
                failure = _failure(case, response)
                if failure is not None:
                    failures.append(failure)

            try:
                fuzz()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert checked >= 15
    assert statuses[200] >= 15 and statuses[400] + statuses[404] >= 15, statuses
    assert not failures, "\n".join(failures[:20])


def _with_links(raw: dict[str, Any]) -> dict[str, Any]:
    for source, status, target, parameter, pointer in LINKS:
        source_method, source_path = source.split(" ", 1)
        target_method, target_path = target.split(" ", 1)
        response = raw["paths"][source_path][source_method.lower()]["responses"][status]
        reference = "#/paths/" + target_path.replace("~", "~0").replace("/", "~1")
        name = f"{target_method.lower()}_{target_path.strip('/').replace('/', '_')}"
        response.setdefault("links", {})[name] = {
            "operationRef": f"{reference}/{target_method.lower()}",
            "parameters": {parameter: f"$response.body#{pointer}"},
        }
    return raw


def _every_linked_creator_starts_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schemathesis starts scenarios only from operations its resource analysis deems sure to
    succeed with random data; it rules out creating a task (the form id is not produced by any
    operation). Here every operation with outgoing links may start one."""
    stateful = importlib.import_module("schemathesis.specs.openapi.stateful")
    classify = stateful.classify_root_transitions

    def every_source(operations: Any, transitions: Any, graph: Any) -> Any:
        roots = classify(operations, transitions, graph)
        roots.reliable |= roots.fallback
        return roots

    monkeypatch.setattr(stateful, "classify_root_transitions", every_source)


def test_stateful_runs_never_answer_5xx(
    module_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _every_linked_creator_starts_scenarios(monkeypatch)
    raw = httpx.get(f"{module_server.base_url}/openapi.json", timeout=30.0).json()
    raw["paths"] = {
        path: ops for path, ops in raw["paths"].items() if path.startswith(("/v4/", "/admin/api/"))
    }
    schema = schemathesis.openapi.from_dict(_with_links(raw))
    token = person_client(module_server, ALICE).headers["Authorization"]
    failures: list[str] = []
    seen: Counter[str] = Counter()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {
                "base_url": module_server.base_url,
                "headers": _headers_for(case.path, token),
            }

        def validate_response(self, response: Any, case: schemathesis.Case, **_: Any) -> None:
            seen[f"{case.method} {case.path} {response.status_code // 100}XX"] += 1
            failure = _failure(case, response)
            if failure is not None:
                failures.append(failure)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not failures, "\n".join(failures[:20])
    # The runs followed links: objects were created, then addressed by the id in the answer.
    followed = {k.split(" ")[1].split("/")[1] for k in seen if k.endswith("2XX") and "{" in k}
    # Which /v4 chains reach a 2XX depends on the random bodies; the admin API's always do.
    assert "admin" in followed, sorted(k for k in seen if k.endswith("2XX"))
