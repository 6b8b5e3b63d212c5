"""Operations: liveness, readiness (database reachable, schema current), Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from mpo.http.deps import State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> JSON:
    """The process is alive (no database access)."""
    return JSON({"status": "ok"})


@router.get("/readyz", responses={503: V1_RESPONSES[503]})
@router.get("/api/health", responses={503: V1_RESPONSES[503]})
def readyz(state: State) -> JSON:
    """The database answers and its schema is the one this mpo expects (else 503)."""
    state.database.ready()
    return JSON({"status": "ready"})


@router.get("/metrics", response_class=Response)
async def metrics(state: State) -> Response:
    """Prometheus text format: latency histograms and counts per route, auth failures,
    tasks created and decided (this process's)."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
