"""The config file itself: atomic, private writes and parse errors that point at the spot."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mpo.config import file
from mpo.core.domain.errors import ConfigError


def test_save_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "config.toml"
    old = os.umask(0)
    try:
        file.save(path, {"default_profile": "team"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert file.load(path) == {"default_profile": "team"}


def test_a_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "conf"
    path = tmp_path / "config.toml"
    file.save(path, {"default_profile": "team"})
    with pytest.raises(TypeError):
        file.save(path, {"default_profile": object()})
    target = tmp_path / "occupied"
    target.mkdir()
    with pytest.raises(OSError):
        file.save(target, {"default_profile": "team"})  # rename onto a directory fails
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "occupied"]
    assert file.load(path) == {"default_profile": "team"}


def test_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert file.load(tmp_path / "absent.toml") == {}


@pytest.mark.parametrize(("content", "where"), [
    (b"timezone = \n", "(at line 1, column 12)"),
    (b'[profiles.a]\nconfirm_over = 1\nconfirm_over = 2\n', "(at line 3, column 17)"),
])
def test_a_parse_error_names_file_line_and_column(
        tmp_path: Path, content: bytes, where: str) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        file.load(path)
    assert caught.value.message.startswith(f"config file {path}: ")
    assert caught.value.message.endswith(where)


def test_a_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"timezone = '\xff'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        file.load(path)
