"""Settings: every profile key with its type and default, and how a value is chosen.

Precedence, highest first: command-line flag > environment (`MPO_*`) > the selected profile
in the config file > built-in default. `Settings.sources` says where each value came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mpo.config import env, file, paths
from mpo.core import columns
from mpo.core.errors import ConfigError
from mpo.core.permissions import Role
from mpo.core.validation import Rules
from mpo.core.vocabulary import DEFAULT_MARKETPLACES, DEFAULT_REJECTION_CODES
from mpo.store import urls

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
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> Rules:
        """The validation rules these settings configure."""
        return Rules(marketplaces=self.marketplaces, rejection_codes=self.rejection_codes)


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
