"""Where a command's token comes from. First hit wins:

1. `--token-file PATH` (or `-` for stdin) — never a token on argv, which `ps` shows everyone;
2. the `MPO_TOKEN` environment variable;
3. the OS keyring entry for the role on this database (service `mpo:<database url>`);
4. the opt-in plaintext file (`auth login --insecure-storage`, mode 0600).

Keyring calls run with a timeout (3 s) so a locked desktop keyring never hangs cron. A
backend keyring picks on its own that is not a real secret store (the `fail` backend, a
plaintext file) counts as none: tokens are then never written there silently. A backend the
user chose explicitly (PYTHON_KEYRING_BACKEND or keyringrc.cfg) is honoured and reported.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mpo.config import env, file, paths, urls
from mpo.core.domain import wellformed
from mpo.core.domain.errors import AuthError, UsageError

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 3.0
#: The exact command that keeps a token without a keyring (hints print it as is).
INSECURE_LOGIN = "mpo auth login --with-token --insecure-storage"
MAX_TIMEOUT_S = 3600.0
_NO_BACKEND = ("keyring.backends.fail", "keyring.backends.null")


@dataclass(frozen=True)
class Credential:
    """A token and where it was found (never print the token itself)."""

    token: str
    source: str


@dataclass(frozen=True)
class Backend:
    """The keyring backend in use and whether mpo may keep tokens in it."""

    name: str
    usable: bool
    explicit: bool
    plaintext: bool
    keyring: Any = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        """One phrase for `auth status` and error messages."""
        if not self.usable:
            return f"{self.name} (no secure keyring available)"
        how = "explicitly configured" if self.explicit else "detected"
        return f"{self.name} ({how}{', stores tokens in plain text' if self.plaintext else ''})"


class KeyringTimeout(Exception):
    """The keyring did not answer in time (a locked desktop keyring, a hung D-Bus)."""


def _timeout() -> float:
    raw = os.environ.get(env.KEYRING_TIMEOUT)
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT_S:  # also refuses nan, which compares false
        raise UsageError(f"{env.KEYRING_TIMEOUT}: {raw!r} is not a number of seconds "
                         f"> 0 and <= {MAX_TIMEOUT_S:g}")
    return seconds


def _bounded(call: Callable[[], T]) -> T:
    """Run a keyring call in a daemon thread; give up after the timeout."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="mpo-keyring", daemon=True)
    worker.start()
    worker.join(_timeout())
    if worker.is_alive():
        raise KeyringTimeout(f"the keyring did not answer within {_timeout():g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


_backends: dict[tuple[str | None, ...], Backend] = {}


def backend() -> Backend:
    """The keyring backend, classified (detected once per environment)."""
    key = tuple(os.environ.get(v) for v in
                ("PYTHON_KEYRING_BACKEND", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"))
    if key not in _backends:
        _backends[key] = _detect()
    return _backends[key]


def _detect() -> Backend:
    import keyring
    import keyring.core

    def pick() -> Backend:
        keyring.core.init_backend()  # re-read PYTHON_KEYRING_BACKEND and keyringrc.cfg
        chosen = keyring.get_keyring()
        kind = type(chosen)
        name = f"{kind.__module__}.{kind.__name__}"
        explicit = keyring.core.load_env() is not None or keyring.core.load_config() is not None
        plaintext = kind.__module__.startswith("keyrings.alt")
        usable = not kind.__module__.startswith(_NO_BACKEND) and (
            explicit or (getattr(chosen, "priority", 0) >= 1 and not plaintext)
        )
        return Backend(name, usable, explicit, plaintext, keyring=chosen)

    try:
        return _bounded(pick)
    except KeyringTimeout:
        return Backend("unknown (timed out)", usable=False, explicit=False, plaintext=False)


def service(database_url: str) -> str:
    """The keyring service name for one database: credentials are per database, whatever
    login role reaches it (a token belongs to mpo's principals, not to a database user)."""
    return f"mpo:{urls.without_credentials(database_url)}"


def _file() -> Path:
    return paths.config_file().parent / "credentials.toml"


def _file_token(database_url: str, role: str) -> str | None:
    entry = file.load(_file()).get(service(database_url), {})
    token = entry.get(role) if isinstance(entry, dict) else None
    return token if isinstance(token, str) else None


def _keyring_token(database_url: str, role: str) -> str | None:
    chosen = backend()
    if not chosen.usable:
        return None
    token = _bounded(lambda: chosen.keyring.get_password(service(database_url), role))
    return token if isinstance(token, str) else None


def read_token_file(path: str) -> str:
    """A token from a file, or from stdin for `-`; surrounding whitespace ignored."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"token-file: cannot read {path}: {exc.strerror}") from None
    token = wellformed.text("token-file", wellformed.decode("token-file", raw)).strip()
    if not token or any(c.isspace() for c in token):
        raise UsageError("token-file: expected exactly one token")
    return token


def find(database_url: str, role: str, *, token_file: str | None = None,
         environ: Mapping[str, str] | None = None) -> Credential:
    """The credential a command uses, or an AuthError saying how to provide one."""
    environ = os.environ if environ is None else environ
    if token_file is not None:
        return Credential(read_token_file(token_file), f"--token-file {token_file}")
    if env.TOKEN in environ:
        # Set but empty is a script's mistake (an unset variable expanded), never a request
        # for the keyring's credential: that one is often the admin's.
        given = wellformed.text(env.TOKEN, environ[env.TOKEN]).strip()
        if not given:
            raise AuthError(f"{env.TOKEN} is set but empty: give it the token, or unset it "
                            f"(`unset {env.TOKEN}`) to use the stored credential")
        return Credential(given, env.TOKEN)
    note = ""
    try:
        token = _keyring_token(database_url, role)
        if token:
            return Credential(token, f"keyring ({backend().name})")
    except KeyringTimeout as exc:
        note = f"; {exc}"
    token = _file_token(database_url, role)
    if token:
        return Credential(token, f"file {_file()}")
    login = f"mpo auth login --role {role} --with-token" + (
        "" if backend().usable else " --insecure-storage")
    raise AuthError(
        f"no credential for role {role} on {urls.redact(database_url)}{note}: set "
        f"{env.TOKEN}, or run `{login}` (token on stdin)"
    )


def save(database_url: str, role: str, token: str, *, insecure_storage: bool) -> str:
    """Keep a token for a role on a database; return where it went."""
    if insecure_storage:
        data = file.load(_file())
        data.setdefault(service(database_url), {})[role] = token
        file.save(_file(), data)
        return f"file {_file()} (plain text, mode 0600)"
    chosen = backend()
    if not chosen.usable:
        raise AuthError(
            f"no secure keyring backend on this machine ({chosen.describe()}): use "
            f"{env.TOKEN} in the environment, or keep the token in a file readable only by "
            f"you with `{INSECURE_LOGIN}` (the token on stdin)"
        )
    try:
        _bounded(lambda: chosen.keyring.set_password(service(database_url), role, token))
    except KeyringTimeout as exc:
        raise AuthError(f"could not store the token: {exc}") from None
    return f"keyring ({chosen.name})"


def forget(database_url: str, role: str) -> list[str]:
    """Remove a role's stored token from the keyring and the file; return where from."""
    removed: list[str] = []
    chosen = backend()
    if chosen.usable:
        from keyring.errors import PasswordDeleteError

        try:
            _bounded(lambda: chosen.keyring.delete_password(service(database_url), role))
            removed.append(f"keyring ({chosen.name})")
        except (PasswordDeleteError, KeyringTimeout):
            pass
    data = file.load(_file())
    entry = data.get(service(database_url))
    if isinstance(entry, dict) and role in entry:
        del entry[role]
        if not entry:
            del data[service(database_url)]
        file.save(_file(), data)
        removed.append(f"file {_file()}")
    return removed


def stored(database_url: str, roles: list[str]) -> list[Credential | None]:
    """For each role, its stored credential (keyring first, then file), or None."""
    found: list[Credential | None] = []
    for role in roles:
        try:
            token = _keyring_token(database_url, role)
            source = f"keyring ({backend().name})"
        except KeyringTimeout:
            token = None
        if not token:
            token, source = _file_token(database_url, role), f"file {_file()}"
        found.append(Credential(token, source) if token else None)
    return found
