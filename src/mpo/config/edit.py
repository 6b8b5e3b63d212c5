"""Changes to the config file: a key set or unset in a profile, profiles added, chosen or
removed. Each change loads the file (a parse error stops it before anything is written),
checks the value with the key's own checker, and saves atomically.

`config set` and `unset` edit the selected profile (`--profile`, `MPO_PROFILE`, the
file's `default_profile`, else `default`); the one top-level key, `default_profile`, is
set by `profile use`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mpo.config import file, paths, urls
from mpo.config.checks import check_profile
from mpo.config.keys import KEYS
from mpo.config.settings import DEFAULT_PROFILE, selected_profile
from mpo.core.domain.errors import ConfigError, Conflict, NotFound, ValidationError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Profile:
    """One profile as the file holds it."""

    name: str
    values: dict[str, Any]
    is_default: bool
    is_active: bool


def check_key(key: str) -> None:
    """Refuse a key that no profile has."""
    if key == "default_profile":
        raise ConfigError("default_profile: choose it with `mpo profile use NAME`")
    if key not in KEYS:
        raise ConfigError(f"unknown key {key!r}; keys: {', '.join(KEYS)}")


def value_for(key: str, raw: str) -> Any:
    """`raw` as the TOML value `key` stores, or a ConfigError naming the key and what is
    allowed. A database URL carrying a password is refused: secrets stay out of the file."""
    check_key(key)
    value = KEYS[key].check(key, raw)
    if key in ("database_url", "listen_database_url") and urls.has_password(value):
        raise ConfigError(
            f"{key}: {urls.redact(value)} contains a password, and secrets are never "
            f"written to the config file; set {KEYS[key].env} instead (from your keyring "
            "or secret store), or drop the password from the URL and keep it in ~/.pgpass"
        )
    return list(value) if isinstance(value, tuple) else value


def _profiles(data: dict[str, Any], path: Path) -> dict[str, Any]:
    profiles = data.setdefault("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {path}: [profiles] must be a table")
    return profiles


def _default_name(data: Mapping[str, Any]) -> str:
    return str(data.get("default_profile", DEFAULT_PROFILE))


def _table(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    """The `[profiles.NAME]` table to edit; `default` is made on first use, others must exist."""
    profiles = _profiles(data, path)
    if name not in profiles:
        if name != DEFAULT_PROFILE:
            raise NotFound(
                f"profile {name!r} not found in {path}; profiles: {', '.join(names(data))}; "
                f"add it with `mpo profile add {name}`"
            )
        profiles[name] = {}
    table = profiles[name]
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [profiles.{name}] must be a table")
    return table


def names(data: Mapping[str, Any]) -> list[str]:
    """Every profile name: those in the file, and `default`, which always exists."""
    profiles = data.get("profiles", {})
    found = set(profiles) if isinstance(profiles, dict) else set()
    return sorted(found | {DEFAULT_PROFILE})


def set_value(key: str, raw: str, profile_flag: str | None) -> tuple[str, Any]:
    """Store `key = raw` in the selected profile; return the profile name and stored value."""
    path = paths.config_file()
    data = file.load(path)
    value = value_for(key, raw)
    name, _ = selected_profile(data, profile_flag, os.environ)
    table = _table(data, name, path)
    table[key] = value
    check_profile(table)
    file.save(path, data)
    return name, value


def unset_value(key: str, profile_flag: str | None) -> tuple[str, bool]:
    """Remove `key` from the selected profile; return the profile name and whether it was set."""
    check_key(key)
    path = paths.config_file()
    data = file.load(path)
    name, _ = selected_profile(data, profile_flag, os.environ)
    table = _table(data, name, path)
    if key not in table:
        return name, False
    del table[key]
    check_profile(table)
    file.save(path, data)
    return name, True


def list_profiles(profile_flag: str | None) -> list[Profile]:
    """The profiles, by name; the active one is the one this run selects."""
    path = paths.config_file()
    data = file.load(path)
    profiles = _profiles(data, path)
    default = _default_name(data)
    active, _ = selected_profile(data, profile_flag, os.environ)
    return [Profile(name, dict(profiles.get(name) or {}), name == default, name == active)
            for name in names(data)]


def add_profile(name: str, database_url: str | None) -> None:
    """Create `[profiles.NAME]`, optionally with a database URL (checked like `config set`)."""
    if not _NAME.match(name):
        raise ValidationError(
            "name", f"{name!r} is not a profile name: use letters, digits, '-' and '_' "
            "(up to 64, starting with a letter or digit)"
        )
    path = paths.config_file()
    data = file.load(path)
    profiles = _profiles(data, path)
    if name in profiles:
        raise Conflict(f"profile {name!r} already exists in {path}; change it with "
                       f"`mpo --profile {name} config set KEY VALUE`")
    table = {} if database_url is None else {"database_url": value_for("database_url",
                                                                          database_url)}
    profiles[name] = table
    file.save(path, data)


def use_profile(name: str) -> None:
    """Make `name` the default profile (the top-level `default_profile` key)."""
    path = paths.config_file()
    data = file.load(path)
    if name not in names(data):
        raise NotFound(f"profile {name!r} not found in {path}; profiles: "
                       f"{', '.join(names(data))}")
    data["default_profile"] = name
    file.save(path, data)


def remove_profile(name: str) -> None:
    """Delete `[profiles.NAME]`; the default profile cannot be removed."""
    path = paths.config_file()
    data = file.load(path)
    profiles = _profiles(data, path)
    if name == _default_name(data):
        raise Conflict(f"profile {name!r} is the default profile; choose another first "
                       "with `mpo profile use NAME`")
    if name not in profiles:
        raise NotFound(f"profile {name!r} not found in {path}; profiles: "
                       f"{', '.join(names(data))}")
    del profiles[name]
    file.save(path, data)
