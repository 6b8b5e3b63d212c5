"""Database URLs as users type them, and as messages show them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpo.config import urls
from mpo.core.domain.errors import ConfigError, ExitCode


@pytest.mark.parametrize(("given", "normalised"), [
    ("postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("POSTGRESQL://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////var/lib/mpo.db", "sqlite:////var/lib/mpo.db"),
    ("  sqlite:///rel.db  ", "sqlite:///rel.db"),
])
def test_urls_are_normalised_to_the_drivers_mpo_uses(given: str, normalised: str) -> None:
    assert urls.normalise(given) == normalised


def test_a_bare_path_becomes_an_absolute_sqlite_url(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert urls.normalise("data/mpo.db") == f"sqlite:///{tmp_path / 'data' / 'mpo.db'}"
    assert urls.normalise("~/mpo.db") == f"sqlite:///{Path.home() / 'mpo.db'}"


@pytest.mark.parametrize("given", ["", "   ", "mysql://u@h/db", "postgresql+asyncpg://h/db"])
def test_empty_or_unsupported_urls_are_config_errors_naming_the_forms(given: str) -> None:
    with pytest.raises(ConfigError) as caught:
        urls.normalise(given)
    assert caught.value.exit_code is ExitCode.USAGE
    assert caught.value.message.startswith("database_url: ")
    assert "sqlite:///" in caught.value.message


def test_sqlite_paths_absolute_relative_and_in_memory() -> None:
    assert urls.sqlite_path("sqlite:////var/lib/mpo.db") == Path("/var/lib/mpo.db")
    assert urls.sqlite_path("sqlite:///rel/mpo.db") == Path("rel/mpo.db")
    assert urls.sqlite_path("sqlite:///mpo.db?mode=ro") == Path("mpo.db")
    assert urls.sqlite_path("sqlite://") is None
    assert urls.sqlite_path("sqlite:///:memory:") is None


def test_only_sqlite_urls_are_sqlite() -> None:
    assert urls.is_sqlite(urls.normalise("/tmp/x.db"))
    assert not urls.is_sqlite(urls.normalise("postgres://h/db"))


def test_passwords_are_detected_and_redacted() -> None:
    url = "postgresql+psycopg://mpo:s3cr%40t@db.example:5432/mpo"
    assert urls.has_password(url)
    assert urls.redact(url) == "postgresql+psycopg://mpo:***@db.example:5432/mpo"
    for plain in ("postgresql+psycopg://mpo@db/mpo", "sqlite:////x.db", "/x.db"):
        assert not urls.has_password(plain)
        assert urls.redact(plain) == plain
