"""Database URLs: normalising what users type, and showing them without secrets.

It is configuration, so it lives here, light (no SQLAlchemy import): settings check a URL
and `--help` shows one without loading the store, which reads it too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mpo.core.domain.errors import ConfigError

SQLITE = "sqlite"
POSTGRES = "postgresql+psycopg"
_ALIASES = {"postgres": POSTGRES, "postgresql": POSTGRES, POSTGRES: POSTGRES, SQLITE: SQLITE}


def normalise(url: str) -> str:
    """A URL SQLAlchemy accepts: a bare path becomes SQLite, `postgres://` gets psycopg 3."""
    url = url.strip()
    if not url:
        raise ConfigError("database_url: empty; use sqlite:///PATH or postgresql+psycopg://...")
    if "://" not in url:
        return f"{SQLITE}:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    driver = _ALIASES.get(scheme.lower())
    if driver is None:
        raise ConfigError(
            f"database_url: scheme {scheme!r} is not supported; use sqlite:///PATH, "
            "postgresql://..., postgres://... or postgresql+psycopg://..."
        )
    return f"{driver}://{rest}"


def is_sqlite(url: str) -> bool:
    """Whether a (normalised) URL names an SQLite database."""
    return url.startswith(f"{SQLITE}:")


def sqlite_path(url: str) -> Path | None:
    """The file an SQLite URL names, or None for an in-memory database."""
    path = url.split("://", 1)[1].lstrip("/") if "://" in url else url
    path = path.split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    # sqlite:////abs/path has four slashes: the split above ate the leading one.
    return Path("/" + path) if url.startswith(f"{SQLITE}:////") else Path(path)


def has_password(url: str) -> bool:
    """Whether a URL carries a password (which must never be written to the config file)."""
    return "://" in url and urlsplit(url).password is not None


def redact(url: str) -> str:
    """The URL with any password replaced by `***`, for messages and `auth status`."""
    if not has_password(url):
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def without_credentials(url: str) -> str:
    """The URL with user name and password removed: the identity of the database itself."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=host))
