"""How each profile key's value is checked and normalised: one checker per kind of value,
each `(key, value) -> value` raising `ConfigError` that names the key (the key table:
`mpo.config.keys`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from mpo.config import urls
from mpo.core.domain import columns, routing_rules, wellformed
from mpo.core.domain.errors import ConfigError, MpoError, ValidationError
from mpo.core.domain.permissions import Role
from mpo.core.domain.score import parse_weights


def text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: must be a non-empty string, got {value!r}")
    return value.strip()


def url(key: str, value: Any) -> str:
    normalised = urls.normalise(text(key, value))
    try:
        _ = urlsplit(normalised).port  # reading it checks it
    except ValueError:
        raise ConfigError(
            f"{key}: {urls.redact(normalised)!r} has a bad port; use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DBNAME"
        ) from None
    return normalised


def listen_url(key: str, value: Any) -> str:
    """A PostgreSQL URL (the database itself, not a pooler), or "" for none."""
    if isinstance(value, str) and not value.strip():
        return ""
    normalised = url(key, value)
    if not normalised.startswith(f"{urls.POSTGRES}://"):
        raise ConfigError(f"{key}: {urls.redact(normalised)!r} is not a PostgreSQL URL; use "
                          "postgresql+psycopg://USER@HOST:PORT/DBNAME (or \"\" for none)")
    return normalised


def role(key: str, value: Any) -> str:
    allowed = [r.value for r in Role]
    if value not in allowed:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def timezone(key: str, value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = text(key, value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{key}: {name!r} is not an IANA time zone (e.g. UTC, America/Sao_Paulo)"
        ) from None
    return name


def names(key: str, value: Any, max_len: int | None = None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"{key}: must be a non-empty list of names")
    result = tuple(text(key, v) for v in value)
    if len(set(result)) != len(result):
        raise ConfigError(f"{key}: names must be distinct")
    too_long = [v for v in result if max_len is not None and len(v) > max_len]
    if too_long:
        raise ConfigError(f"{key}: names must be at most {max_len} characters (the database "
                          f"column's length), got {len(too_long[0])}: {too_long[0][:20]!r}...")
    return result


def marketplaces(key: str, value: Any) -> tuple[str, ...]:
    return names(key, value, columns.MARKETPLACE)


def rejection_codes(key: str, value: Any) -> tuple[str, ...]:
    return names(key, value, columns.REJECTION_CODE)


def count(key: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: must be a whole number >= 0, got {value!r}")
    return value


def rate_limits(key: str, value: Any) -> str:
    from mpo.core.domain.errors import ValidationError
    from mpo.core.usecases import ratelimit

    if not isinstance(value, str | dict):
        raise ConfigError(f"{key}: must be NAME=N/PERIOD, ... or a table of them")
    try:
        return str(ratelimit.parse(value))
    except ValidationError as exc:
        raise ConfigError(exc.message) from None


def byte_size(key: str, value: Any) -> int:
    size = count(key, value)
    if size < 1024:
        raise ConfigError(f"{key}: must be at least 1024 bytes, got {size}")
    return size


def origins(key: str, value: Any) -> tuple[str, ...]:
    if value in ("", [], ()):
        return ()
    found = names(key, value)
    for origin in found:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError(f"{key}: {origin!r} is not an origin like https://dash.example")
    return found


def weights(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string such as 'priority=40,age=20', got {value!r}")
    try:
        return parse_weights(value).text()
    except ValidationError as exc:
        raise ConfigError(f"{key}: {exc.message.split(': ', 1)[-1]}") from None


def boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"{key}: must be true or false, got {value!r}")


def duration(key: str, value: Any) -> str:
    from mpo.core.domain.timeparse import parse_duration

    given = text(key, value)
    try:
        parse_duration(key, given)
    except MpoError as exc:
        raise ConfigError(exc.message) from None
    return given


def teams(key: str, value: Any) -> dict[str, list[str]]:
    return {name: list(people) for name, people in routing_rules.parse_teams(key, value).items()}


def routing(key: str, value: Any) -> list[dict[str, Any]]:
    try:  # I-JSON with bounded nesting: a deep value is a usage error, not a crash
        loaded = wellformed.loads(key, value) if isinstance(value, str) else value
    except MpoError as exc:
        raise ConfigError(exc.message) from None
    routing_rules.parse_rules(key, loaded)
    return [loaded] if isinstance(loaded, dict) else list(loaded)


def executors(key: str, value: Any) -> list[dict[str, Any]]:
    from mpo.core.domain.executors import parse_executors

    try:  # I-JSON with bounded nesting, as routing
        loaded = wellformed.loads(key, value) if isinstance(value, str) else value
    except MpoError as exc:
        raise ConfigError(exc.message) from None
    parse_executors(key, loaded)
    return [loaded] if isinstance(loaded, dict) else list(loaded)


def check_profile(table: Mapping[str, Any]) -> None:
    """Checks across keys: every team and person a routing rule names exists in `teams`."""
    if "routing" in table:
        routing_rules.parse_rules("routing", table["routing"],
                                  routing_rules.parse_teams("teams", table.get("teams", {})))


def clock(key: str, value: Any) -> str:
    from mpo.config.events import clock_time

    return clock_time(key, value).strftime("%H:%M")


def span(key: str, value: Any) -> str:
    from mpo.config.events import quiet_hours

    hours = quiet_hours(key, value)
    return "" if hours is None else "-".join(t.strftime("%H:%M") for t in hours)


def public_url(key: str, value: Any) -> str:
    """Where browsers reach `mpo serve` (http or https, no query), or "" for unknown."""
    if value == "":
        return ""
    given = text(key, value).rstrip("/")
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(f"{key}: {given!r} is not http(s)://HOST[:PORT][/PATH] (or \"\")")
    return given


def smtp(key: str, value: Any) -> str:
    given = text(key, value)
    parts = urlsplit(given)
    try:
        _ = parts.port
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{key}: {given!r} is not smtp://HOST[:PORT] or smtps://HOST[:PORT]")
    return given
