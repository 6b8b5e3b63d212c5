"""Prometheus metrics of one server process: the seed's "System Health" list."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

#: Seconds; fine below 100 ms, where a create should land.
BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25,
           0.5, 1.0, 2.5, 5.0)


@dataclass
class Metrics:
    """The server's collectors, in a registry of their own (not the global default)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.latency = Histogram("mpo_http_request_duration_seconds",
                                 "Request latency by route", ["method", "route"],
                                 buckets=BUCKETS, registry=r)
        self.requests = Counter("mpo_http_requests", "Requests by route and status",
                                ["method", "route", "status"], registry=r)
        self.errors = Counter("mpo_http_errors", "Responses with status >= 400 by route",
                              ["method", "route", "status"], registry=r)
        self.auth_failures = Counter("mpo_auth_failures", "Requests refused as "
                                     "unauthenticated (no, unknown or revoked token)",
                                     registry=r)
        self.tasks_created = Counter("mpo_tasks_created", "Tasks created", ["marketplace"],
                                     registry=r)
        self.tasks_decided = Counter("mpo_tasks_decided", "Tasks approved or rejected",
                                     ["decision"], registry=r)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        self.latency.labels(method, route).observe(seconds)
        self.requests.labels(method, route, str(status)).inc()
        if status >= 400:
            self.errors.labels(method, route, str(status)).inc()
