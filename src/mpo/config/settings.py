"""Settings: the resolved configuration of one run, and how each value is chosen.

Precedence, highest first: command-line flag > environment (`MPO_*`) > the selected profile
in the config file > built-in default. `Settings.sources` says where each value came from.
The keys, their types and defaults: `mpo.config.keys`; their checks: `mpo.config.checks`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mpo.config import checks, env, file, paths, urls
from mpo.config.keys import KEYS
from mpo.core.domain import routing_rules
from mpo.core.domain.errors import ConfigError
from mpo.core.domain.score import DEFAULT_WEIGHTS
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import DEFAULT_CANCEL_CODES

if TYPE_CHECKING:
    from mpo.core.usecases.ratelimit import RateLimits

DEFAULT_PROFILE = "default"


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
    listen_database_url: str = ""
    http_body_limit: int = 1_048_576
    http_bulk_body_limit: int = 16_777_216
    http_cors_origins: tuple[str, ...] = ()
    http_access_log: str = "-"
    score_weights: str = DEFAULT_WEIGHTS
    cancel_codes: tuple[str, ...] = DEFAULT_CANCEL_CODES
    auto_assign: bool = False
    teams: dict[str, list[str]] = field(default_factory=dict)
    routing: list[dict[str, Any]] = field(default_factory=list)
    executors: list[dict[str, Any]] = field(default_factory=list)
    alert_awaiting_over: int = 500
    alert_silent_hours: int = 24
    alert_stale_days: int = 7
    expire_after: str = "7d"
    tick_catch_up: int = 10
    digest_time: str = "08:00"
    quiet_hours: str = "22:00-08:00"
    smtp_url: str = "smtp://localhost:25"
    mail_from: str = "mpo@localhost"
    public_url: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> Rules:
        """The validation rules these settings configure."""
        from mpo.core.domain.executors import parse_executors

        return Rules(marketplaces=self.marketplaces, rejection_codes=self.rejection_codes,
                     cancel_codes=self.cancel_codes, timezone=self.timezone,
                     executors=parse_executors("executors", self.executors))

    @property
    def routing_rules(self) -> tuple[routing_rules.Rule, ...]:
        """The routing rules, their pools resolved through `teams`."""
        return routing_rules.parse_rules("routing", self.routing,
                                         routing_rules.parse_teams("teams", self.teams))

    @property
    def limits(self) -> RateLimits | None:
        """The configured rate limits, or None when there are none."""
        from mpo.core.usecases.ratelimit import parse

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
    checks.check_profile(table)
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
        return checks.text("default_profile", data["default_profile"]), "default_profile"
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
