"""Every profile key: its checker, type, default, environment variable and meaning
(docs/configuration.md's key table is printed from it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mpo.config import checks, env
from mpo.core.domain import columns
from mpo.core.domain.permissions import Role
from mpo.core.domain.score import DEFAULT_WEIGHTS
from mpo.core.domain.vocabulary import (
    DEFAULT_CANCEL_CODES,
    DEFAULT_MARKETPLACES,
    DEFAULT_REJECTION_CODES,
)


@dataclass(frozen=True)
class Key:
    """One profile key: its type (as a checker), default, environment variable and meaning."""

    name: str
    check: Callable[[str, Any], Any]
    type_name: str
    default: Any
    env: str
    help: str


KEYS: Mapping[str, Key] = {
    k.name: k
    for k in (
        Key("database_url", checks.url, "string (URL or path)", None, env.DATABASE_URL,
            "SQLite path/URL or postgresql+psycopg:// URL; default: the platform data dir"),
        Key("default_role", checks.role, "string", Role.ADMIN.value, env.ROLE,
            "role whose stored credential commands use when --as is not given"),
        Key("timezone", checks.timezone, "string (IANA zone)", "UTC", env.TIMEZONE,
            "zone that decides what 'today' and 'yesterday' mean"),
        Key("marketplaces", checks.marketplaces,
            f"list of strings (each 1-{columns.MARKETPLACE} characters)", DEFAULT_MARKETPLACES,
            env.MARKETPLACES, "the marketplaces tasks may belong to"),
        Key("rejection_codes", checks.rejection_codes,
            f"list of strings (each 1-{columns.REJECTION_CODE} characters)",
            DEFAULT_REJECTION_CODES, env.REJECTION_CODES,
            "the reason codes `reject --reason-code` accepts"),
        Key("confirm_over", checks.count, "integer", 10, env.CONFIRM_OVER,
            "batches larger than this ask for confirmation on a terminal, and need --yes "
            "without one"),
        Key("rate_limits", checks.rate_limits, "string (NAME=N/PERIOD, ...)", "", env.RATE_LIMITS,
            "most tasks a role or principal may create per second/minute/hour/day, "
            "counted from the audit log (e.g. agent=100/hour)"),
        Key("http_body_limit", checks.byte_size, "integer (bytes)", 1_048_576, env.HTTP_BODY_LIMIT,
            "largest request body `mpo serve` accepts"),
        Key("http_bulk_body_limit", checks.byte_size, "integer (bytes)", 16_777_216,
            env.HTTP_BULK_BODY_LIMIT, "largest NDJSON body of a bulk create over HTTP"),
        Key("http_cors_origins", checks.origins, "list of strings", (), env.HTTP_CORS_ORIGINS,
            "origins browsers may call `mpo serve` from; none (CORS off) by default"),
        Key("http_access_log", checks.text, "string (path or -)", "-", env.HTTP_ACCESS_LOG,
            "where `mpo serve` writes its JSON-lines access log; - is stderr"),
        Key("score_weights", checks.weights, "string (NAME=NUMBER,...)",
            DEFAULT_WEIGHTS, env.SCORE_WEIGHTS,
            "weights of `mpo list --sort score` (docs/score.md)"),
        Key("cancel_codes", checks.names, "list of strings", DEFAULT_CANCEL_CODES, env.CANCEL_CODES,
            "the reason codes `cancel --reason-code` accepts (`expire` records `expired`)"),
        Key("auto_assign", checks.boolean, "boolean", False, env.AUTO_ASSIGN,
            "route tasks to people by the routing rules as soon as they are approved"),
        Key("teams", checks.teams, "table of lists", {}, env.TEAMS,
            "named teams of people routing rules assign to (JSON with config set)"),
        Key("routing", checks.routing, "list of tables", [], env.ROUTING,
            "routing rules, first match wins: see docs/routing.md (JSON with config set)"),
        Key("executors", checks.executors, "list of tables", [], env.EXECUTORS,
            "who may `mpo claim` which tasks: see docs/claim.md (JSON with config set); "
            "none: members and admins"),
        Key("alert_awaiting_over", checks.count, "integer", 500, env.ALERT_AWAITING_OVER,
            "mpo status alerts when more tasks than this await approval"),
        Key("alert_silent_hours", checks.count, "integer", 24, env.ALERT_SILENT_HOURS,
            "mpo status alerts when an agent has created nothing for this many hours"),
        Key("alert_stale_days", checks.count, "integer", 7, env.ALERT_STALE_DAYS,
            "mpo status alerts on tasks pending or awaiting approval for longer"),
        Key("expire_after", checks.duration, "duration", "7d", env.EXPIRE_AFTER,
            "the default age (10m, 12h, 7d, 2w) at which `mpo expire` cancels proposals"),
        Key("tick_catch_up", checks.count, "integer", 10, env.TICK_CATCH_UP,
            "at most this many missed periods of each template `mpo tick` creates"),
        Key("digest_time", checks.clock, "string (HH:MM)", "08:00", env.DIGEST_TIME,
            "local time from which `mpo notify` sends the daily approval digest"),
        Key("quiet_hours", checks.span, "string (HH:MM-HH:MM)", "22:00-08:00", env.QUIET_HOURS,
            "local hours in which `mpo notify` sends nothing (\"\" for none)"),
        Key("smtp_url", checks.smtp, "string (URL)", "smtp://localhost:25", env.SMTP_URL,
            "the mail server email channels send through"),
        Key("mail_from", checks.text, "string", "mpo@localhost", env.MAIL_FROM,
            "the sender address of notification emails"),
        Key("public_url", checks.public_url, "string (URL)", "", env.PUBLIC_URL,
            "where browsers reach `mpo serve`: digests and sign-in links point there"),
        Key("listen_database_url", checks.listen_url, "string (URL)", "",
            env.LISTEN_DATABASE_URL,
            "PostgreSQL itself, for LISTEN, when database_url is a PgBouncer in transaction "
            "mode (docs/postgresql.md); set, database_url's statements are never prepared"),
    )
}
