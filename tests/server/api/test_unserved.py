"""Every call of the official clients that the platform does not serve answers a Pyrus error
naming the call and why (404 ``option_is_not_supported``), on both API prefixes and, for the C#
client's reports, on the files host; the catalogs' bulk calls are served."""

from __future__ import annotations

import re

from api.harness import ALICE, RunningServer, assert_error, new_form_task, person_client
from pyrus_bots.server.api.unserved import (
    FILES_HOST_CALLS,
    NOT_SERVED_CODE,
    NOT_SERVED_STATUS,
    V4_CALLS,
    UnservedCall,
)


def _concrete(call: UnservedCall) -> str:
    # Path parameters as a client fills them: a number for departments, a text id otherwise.
    return re.sub(r"\{(\w+)\}", lambda m: "17" if m[1] == "department_id" else "kb-17", call.path)


def test_each_unserved_call_says_why(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    calls = [
        (prefix, call) for prefix in ("/v4", "/api/v4") for call in V4_CALLS + FILES_HOST_CALLS
    ]
    calls += [("", call) for call in FILES_HOST_CALLS]
    assert len(calls) == 2 * (len(V4_CALLS) + len(FILES_HOST_CALLS)) + len(FILES_HOST_CALLS)
    for prefix, call in calls:
        body = {"name": "x"} if call.method in ("POST", "PUT", "DELETE") else None
        response = alice.request(call.method, prefix + _concrete(call), json=body)
        error = assert_error(response, NOT_SERVED_STATUS, NOT_SERVED_CODE)
        assert error["error"].startswith(f"{call.method} {call.path} is not served"), error
        assert call.reason in error["error"]


def test_unserved_calls_answer_before_authentication(shared_server: RunningServer) -> None:
    # Like any unknown path: there is no data behind them, and a client with a bad token
    # learns that the call is not served rather than retrying its sign-in.
    response = shared_server.client().get("/v4/orgchart")
    assert_error(response, NOT_SERVED_STATUS, NOT_SERVED_CODE)


def test_the_csharp_bulk_comment_path_is_served(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    # The C# client posts CommentMultipleTasksInOneTransaction to "/tasks//comments".
    task = new_form_task(alice)
    body = {"comments": [{"task_id": task["id"], "text": "from C#"}]}
    answered = alice.post("/v4/tasks//comments", json=body)
    assert answered.status_code == 200, answered.text
    assert answered.json()["tasks"][0]["comments"][-1]["text"] == "from C#"
    assert_error(alice.post("/v4/tasks//comments", content=b""), 400, "empty_body")


def test_other_paths_stay_plain_not_found(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    assert_error(alice.get("/v4/orgchart/17/people"), 404, "not_found")
    assert_error(alice.patch("/v4/orgchart"), 405, "method_not_allowed")
