"""The event consumers the config file declares: shell hooks and notification channels.

They are arrays of tables at the top of the file, shared by every profile:

    [[hooks]]
    on = ["approve", "reject"]
    command = "notify-send mpo \\"$MPO_EVENT_ACTION\\""
    marketplace = ["amazon"]      # optional filter
    timeout = 10                  # seconds, optional

    [[channels]]
    name = "team-mail"
    email = "ops@example.com"     # or: apprise = "slack://..."
    quiet_hours = "22:00-08:00"   # optional: the profile's quiet_hours; "" for none

Each entry is checked when it is read; an error names the entry and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from mpo.config import file, paths
from mpo.core.domain.errors import ConfigError
from mpo.core.domain.vocabulary import Action, values

DEFAULT_HOOK_TIMEOUT = 10.0


@dataclass(frozen=True)
class Hook:
    """A shell command run after a commit, for events that match."""

    command: str
    on: tuple[str, ...]
    marketplaces: tuple[str, ...] = ()
    timeout: float = DEFAULT_HOOK_TIMEOUT

    def matches(self, action: str, marketplace: str | None) -> bool:
        """Whether an event of `action` on a task of `marketplace` runs this hook."""
        return action in self.on and (not self.marketplaces or marketplace in self.marketplaces)


@dataclass(frozen=True)
class Channel:
    """Where `mpo notify` sends: an email address (SMTP) or an apprise URL."""

    name: str
    kind: str  # email | apprise
    target: str
    #: `HH:MM-HH:MM`, "" for none, None for the profile's `quiet_hours`.
    quiet_hours: str | None = None


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def clock_time(key: str, value: Any) -> time:
    """`HH:MM` as a time of day."""
    try:
        hours, minutes = (int(part) for part in str(value).split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ConfigError(f"{key}: {value!r} is not a time of day such as 08:00") from None


def quiet_hours(key: str, value: Any) -> tuple[time, time] | None:
    """`HH:MM-HH:MM` (may wrap past midnight), or "" for none."""
    if value in ("", None):
        return None
    start, sep, end = str(value).partition("-")
    if not sep:
        raise ConfigError(f"{key}: {value!r} is not a span such as 22:00-08:00 (or \"\")")
    return clock_time(key, start.strip()), clock_time(key, end.strip())


def _hook(n: int, raw: Any) -> Hook:
    where = f"[[hooks]] #{n}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = set(raw) - {"on", "command", "marketplace", "timeout"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}; keys: on, command, "
                          "marketplace, timeout")
    command = raw.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ConfigError(f"{where}: command must be a non-empty string")
    on = _strings(where, "on", raw.get("on", []))
    bad = [a for a in on if a not in values(Action)]
    if bad or not on:
        raise ConfigError(f"{where}: on: {bad[0] if bad else '(none)'!r} is not one of "
                          f"{', '.join(values(Action))}")
    timeout = raw.get("timeout", DEFAULT_HOOK_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{where}: timeout must be a number of seconds > 0")
    return Hook(command, on, _strings(where, "marketplace", raw.get("marketplace", [])),
                float(timeout))


def _channel(n: int, raw: Any) -> Channel:
    where = f"[[channels]] #{n}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    kinds = [k for k in ("email", "apprise") if k in raw]
    if len(kinds) != 1 or not isinstance(raw[kinds[0]], str) or not raw[kinds[0]]:
        raise ConfigError(f"{where}: give one of email = ADDRESS or apprise = URL")
    name = raw.get("name", f"{kinds[0]}-{n}")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: name must be a non-empty string")
    quiet = raw.get("quiet_hours")
    if quiet is not None:
        quiet_hours(f"{where}: quiet_hours", quiet)
    return Channel(name, kinds[0], raw[kinds[0]], quiet)


def _entries(data: Mapping[str, Any], key: str) -> list[Any]:
    entries = data.get(key, [])
    if not isinstance(entries, list):
        raise ConfigError(f"config file: {key} must be an array of tables ([[{key}]])")
    return entries


def hooks(data: Mapping[str, Any] | None = None) -> list[Hook]:
    """The shell hooks of the config file (or of `data`)."""
    data = file.load(paths.config_file()) if data is None else data
    return [_hook(n, raw) for n, raw in enumerate(_entries(data, "hooks"), start=1)]


def channels(data: Mapping[str, Any] | None = None) -> list[Channel]:
    """The notification channels of the config file (or of `data`)."""
    data = file.load(paths.config_file()) if data is None else data
    return [_channel(n, raw) for n, raw in enumerate(_entries(data, "channels"), start=1)]
