"""The request path of `mpo serve`: the caller is checked once, in the route's own thread
and (PostgreSQL) in the transaction its use case continues; who calls is answered before
what was sent; a transaction no use case continued is ended, never leaked."""

from __future__ import annotations

import httpx

from tests.http.conftest import Served, create_body

TASKS = "/api/orchestration/tasks"
V1 = "/api/v1/tasks"


def test_a_wrong_token_is_refused_before_its_body_is_judged(server: Served) -> None:
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": "Bearer mpo_not_a_token"}) as stranger:
        seed = stranger.post(TASKS, json={"marketplace": 7})
        v1 = stranger.post(V1, content=b"{not json", headers={"Content-Type":
                                                               "application/json"})
    assert (seed.status_code, v1.status_code) == (401, 401), (seed.text, v1.text)


def test_requests_refused_after_authentication_leak_no_transaction(server: Served) -> None:
    """A caller authenticated, then a 422 before any use case: the authenticating
    transaction ends with the request. More of them than the server's pool holds, then a
    create that must still be answered at once."""
    agent = server.client("marketplace-amazon")
    for _ in range(40):
        assert agent.post(TASKS, json={"marketplace": 7}).status_code == 400
    assert agent.get("/api/v1/workflow").status_code == 200  # a route that only reads
    created = agent.post(TASKS, json=create_body(title="after the refusals"), timeout=10)
    assert created.status_code == 201, created.text
