"""Settings: every profile key with its type and default, and how a value is chosen.

Precedence, highest first: command-line flag > environment (`MPO_*`) > the selected profile
in the config file > built-in default. `Settings.sources` says where each value came from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mpo.config import env, file, paths, urls
from mpo.core import columns, routing_rules
from mpo.core.errors import ConfigError, MpoError, ValidationError
from mpo.core.permissions import Role
from mpo.core.score import DEFAULT_WEIGHTS, parse_weights
from mpo.core.validation import Rules
from mpo.core.vocabulary import (
    DEFAULT_CANCEL_CODES,
    DEFAULT_MARKETPLACES,
    DEFAULT_REJECTION_CODES,
)

if TYPE_CHECKING:
    from mpo.core.ratelimit import RateLimits

DEFAULT_PROFILE = "default"


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: must be a non-empty string, got {value!r}")
    return value.strip()


def _url(key: str, value: Any) -> str:
    url = urls.normalise(_text(key, value))
    try:
        _ = urlsplit(url).port  # reading it checks it
    except ValueError:
        raise ConfigError(
            f"{key}: {urls.redact(url)!r} has a bad port; use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DBNAME"
        ) from None
    return url


def _role(key: str, value: Any) -> str:
    allowed = [r.value for r in Role]
    if value not in allowed:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _timezone(key: str, value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _text(key, value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{key}: {name!r} is not an IANA time zone (e.g. UTC, America/Sao_Paulo)"
        ) from None
    return name


def _names(key: str, value: Any, max_len: int | None = None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"{key}: must be a non-empty list of names")
    result = tuple(_text(key, v) for v in value)
    if len(set(result)) != len(result):
        raise ConfigError(f"{key}: names must be distinct")
    too_long = [v for v in result if max_len is not None and len(v) > max_len]
    if too_long:
        raise ConfigError(f"{key}: names must be at most {max_len} characters (the database "
                          f"column's length), got {len(too_long[0])}: {too_long[0][:20]!r}...")
    return result


def _marketplaces(key: str, value: Any) -> tuple[str, ...]:
    return _names(key, value, columns.MARKETPLACE)


def _rejection_codes(key: str, value: Any) -> tuple[str, ...]:
    return _names(key, value, columns.REJECTION_CODE)


def _count(key: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: must be a whole number >= 0, got {value!r}")
    return value


def _rate_limits(key: str, value: Any) -> str:
    from mpo.core import ratelimit
    from mpo.core.errors import ValidationError

    if not isinstance(value, str | dict):
        raise ConfigError(f"{key}: must be NAME=N/PERIOD, ... or a table of them")
    try:
        return str(ratelimit.parse(value))
    except ValidationError as exc:
        raise ConfigError(exc.message) from None


def _bytes(key: str, value: Any) -> int:
    size = _count(key, value)
    if size < 1024:
        raise ConfigError(f"{key}: must be at least 1024 bytes, got {size}")
    return size


def _origins(key: str, value: Any) -> tuple[str, ...]:
    if value in ("", [], ()):
        return ()
    origins = _names(key, value)
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError(f"{key}: {origin!r} is not an origin like https://dash.example")
    return origins


def _weights(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string such as 'priority=40,age=20', got {value!r}")
    try:
        return parse_weights(value).text()
    except ValidationError as exc:
        raise ConfigError(f"{key}: {exc.message.split(': ', 1)[-1]}") from None


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"{key}: must be true or false, got {value!r}")


def _duration(key: str, value: Any) -> str:
    from mpo.core.timeparse import parse_duration

    text = _text(key, value)
    try:
        parse_duration(key, text)
    except MpoError as exc:
        raise ConfigError(exc.message) from None
    return text


def _teams(key: str, value: Any) -> dict[str, list[str]]:
    return {name: list(people) for name, people in routing_rules.parse_teams(key, value).items()}


def _routing(key: str, value: Any) -> list[dict[str, Any]]:
    loaded = json.loads(value) if isinstance(value, str) else value
    routing_rules.parse_rules(key, loaded)
    return [loaded] if isinstance(loaded, dict) else list(loaded)


def check_profile(table: Mapping[str, Any]) -> None:
    """Checks across keys: every team and person a routing rule names exists in `teams`."""
    if "routing" in table:
        routing_rules.parse_rules("routing", table["routing"],
                                  routing_rules.parse_teams("teams", table.get("teams", {})))


def _clock(key: str, value: Any) -> str:
    from mpo.config.events import clock_time

    return clock_time(key, value).strftime("%H:%M")


def _span(key: str, value: Any) -> str:
    from mpo.config.events import quiet_hours

    span = quiet_hours(key, value)
    return "" if span is None else "-".join(t.strftime("%H:%M") for t in span)


def _smtp(key: str, value: Any) -> str:
    url = _text(key, value)
    parts = urlsplit(url)
    try:
        _ = parts.port
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{key}: {url!r} is not smtp://HOST[:PORT] or smtps://HOST[:PORT]")
    return url


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
        Key("database_url", _url, "string (URL or path)", None, env.DATABASE_URL,
            "SQLite path/URL or postgresql+psycopg:// URL; default: the platform data dir"),
        Key("default_role", _role, "string", Role.ADMIN.value, env.ROLE,
            "role whose stored credential commands use when --as is not given"),
        Key("timezone", _timezone, "string (IANA zone)", "UTC", env.TIMEZONE,
            "zone that decides what 'today' and 'yesterday' mean"),
        Key("marketplaces", _marketplaces,
            f"list of strings (each 1-{columns.MARKETPLACE} characters)", DEFAULT_MARKETPLACES,
            env.MARKETPLACES, "the marketplaces tasks may belong to"),
        Key("rejection_codes", _rejection_codes,
            f"list of strings (each 1-{columns.REJECTION_CODE} characters)",
            DEFAULT_REJECTION_CODES, env.REJECTION_CODES,
            "the reason codes `reject --reason-code` accepts"),
        Key("confirm_over", _count, "integer", 10, env.CONFIRM_OVER,
            "batches larger than this ask for confirmation on a terminal, and need --yes "
            "without one"),
        Key("rate_limits", _rate_limits, "string (NAME=N/PERIOD, ...)", "", env.RATE_LIMITS,
            "most tasks a role or principal may create per second/minute/hour/day, "
            "counted from the audit log (e.g. agent=100/hour)"),
        Key("http_body_limit", _bytes, "integer (bytes)", 1_048_576, env.HTTP_BODY_LIMIT,
            "largest request body `mpo serve` accepts"),
        Key("http_bulk_body_limit", _bytes, "integer (bytes)", 16_777_216,
            env.HTTP_BULK_BODY_LIMIT, "largest NDJSON body of a bulk create over HTTP"),
        Key("http_cors_origins", _origins, "list of strings", (), env.HTTP_CORS_ORIGINS,
            "origins browsers may call `mpo serve` from; none (CORS off) by default"),
        Key("http_access_log", _text, "string (path or -)", "-", env.HTTP_ACCESS_LOG,
            "where `mpo serve` writes its JSON-lines access log; - is stderr"),
        Key("score_weights", _weights, "string (NAME=NUMBER,...)",
            DEFAULT_WEIGHTS, env.SCORE_WEIGHTS,
            "weights of `mpo list --sort score` (docs/score.md)"),
        Key("cancel_codes", _names, "list of strings", DEFAULT_CANCEL_CODES, env.CANCEL_CODES,
            "the reason codes `cancel --reason-code` accepts (`expire` records `expired`)"),
        Key("auto_assign", _bool, "boolean", False, env.AUTO_ASSIGN,
            "route tasks to people by the routing rules as soon as they are approved"),
        Key("teams", _teams, "table of lists", {}, env.TEAMS,
            "named teams of people routing rules assign to (JSON with config set)"),
        Key("routing", _routing, "list of tables", [], env.ROUTING,
            "routing rules, first match wins: see docs/routing.md (JSON with config set)"),
        Key("alert_awaiting_over", _count, "integer", 500, env.ALERT_AWAITING_OVER,
            "mpo status alerts when more tasks than this await approval"),
        Key("alert_silent_hours", _count, "integer", 24, env.ALERT_SILENT_HOURS,
            "mpo status alerts when an agent has created nothing for this many hours"),
        Key("alert_stale_days", _count, "integer", 7, env.ALERT_STALE_DAYS,
            "mpo status alerts on tasks pending or awaiting approval for longer"),
        Key("expire_after", _duration, "duration", "7d", env.EXPIRE_AFTER,
            "the default age (Nh, Nd, Nw) at which `mpo expire` cancels proposals"),
        Key("tick_catch_up", _count, "integer", 10, env.TICK_CATCH_UP,
            "at most this many missed periods of each template `mpo tick` creates"),
        Key("digest_time", _clock, "string (HH:MM)", "08:00", env.DIGEST_TIME,
            "local time from which `mpo notify` sends the daily approval digest"),
        Key("quiet_hours", _span, "string (HH:MM-HH:MM)", "22:00-08:00", env.QUIET_HOURS,
            "local hours in which `mpo notify` sends nothing (\"\" for none)"),
        Key("smtp_url", _smtp, "string (URL)", "smtp://localhost:25", env.SMTP_URL,
            "the mail server email channels send through"),
        Key("mail_from", _text, "string", "mpo@localhost", env.MAIL_FROM,
            "the sender address of notification emails"),
    )
}


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one mpo invocation."""

    config_path: Path
    profile: str
    database_url: str
    default_role: str
    timezone: str
    marketplaces: tuple[str, ...]
    rejection_codes: tuple[str, ...]
    confirm_over: int
    rate_limits: str = ""
    http_body_limit: int = 1_048_576
    http_bulk_body_limit: int = 16_777_216
    http_cors_origins: tuple[str, ...] = ()
    http_access_log: str = "-"
    score_weights: str = DEFAULT_WEIGHTS
    cancel_codes: tuple[str, ...] = DEFAULT_CANCEL_CODES
    auto_assign: bool = False
    teams: dict[str, list[str]] = field(default_factory=dict)
    routing: list[dict[str, Any]] = field(default_factory=list)
    alert_awaiting_over: int = 500
    alert_silent_hours: int = 24
    alert_stale_days: int = 7
    expire_after: str = "7d"
    tick_catch_up: int = 10
    digest_time: str = "08:00"
    quiet_hours: str = "22:00-08:00"
    smtp_url: str = "smtp://localhost:25"
    mail_from: str = "mpo@localhost"
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> Rules:
        """The validation rules these settings configure."""
        return Rules(marketplaces=self.marketplaces, rejection_codes=self.rejection_codes,
                     cancel_codes=self.cancel_codes, timezone=self.timezone)

    @property
    def routing_rules(self) -> tuple[routing_rules.Rule, ...]:
        """The routing rules, their pools resolved through `teams`."""
        return routing_rules.parse_rules("routing", self.routing,
                                         routing_rules.parse_teams("teams", self.teams))

    @property
    def limits(self) -> RateLimits | None:
        """The configured rate limits, or None when there are none."""
        from mpo.core.ratelimit import parse

        return parse(self.rate_limits) if self.rate_limits else None


def profile_table(data: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    """The `[profiles.NAME]` table, checked: unknown keys and bad values are errors."""
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {path}: [profiles] must be a table")
    table = profiles.get(name)
    if table is None:
        if name == DEFAULT_PROFILE:
            return {}
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"profile {name!r} not found in {path}; profiles: {known}")
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [profiles.{name}] must be a table")
    for key, value in table.items():
        if key not in KEYS:
            raise ConfigError(
                f"config file {path}: unknown key {key!r} in [profiles.{name}]; "
                f"keys: {', '.join(KEYS)}"
            )
        KEYS[key].check(key, value)
    check_profile(table)
    return table


def selected_profile(
    data: Mapping[str, Any], flag: str | None, environ: Mapping[str, str]
) -> tuple[str, str]:
    """The profile this run uses, and what chose it: `--profile`, `MPO_PROFILE`, the
    file's `default_profile`, or the built-in `default`."""
    if flag:
        return flag, "flag"
    if environ.get(env.PROFILE):
        return environ[env.PROFILE], env.PROFILE
    if "default_profile" in data:
        return _text("default_profile", data["default_profile"]), "default_profile"
    return DEFAULT_PROFILE, "default"


def resolve(
    *,
    database_url: str | None = None,
    profile: str | None = None,
    role: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings for one run: flags first, then `MPO_*`, then the profile, then defaults."""
    environ = os.environ if environ is None else environ
    path = paths.config_file()
    data = file.load(path)
    name, chosen_by = selected_profile(data, profile, environ)
    table = profile_table(data, name, path)
    flags = {"database_url": database_url, "default_role": role}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {"profile": chosen_by}
    for key in KEYS.values():
        if flags.get(key.name) is not None:
            values[key.name], sources[key.name] = key.check(key.name, flags[key.name]), "flag"
        elif environ.get(key.env):
            values[key.name], sources[key.name] = key.check(key.env, environ[key.env]), key.env
        elif key.name in table:
            values[key.name] = key.check(key.name, table[key.name])
            sources[key.name] = f"profile {name}"
        else:
            values[key.name], sources[key.name] = key.default, "default"
    if values["database_url"] is None:
        values["database_url"] = urls.normalise(str(paths.default_database()))
    return Settings(config_path=path, profile=name, sources=sources, **values)
