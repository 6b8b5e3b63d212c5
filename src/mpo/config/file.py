"""Reading and writing the TOML config file: parse errors name file, line and column;
writes are atomic (temp file in the same directory, fsync, rename) and private (0600).
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from mpo.core.domain.errors import ConfigError


def load(path: Path) -> dict[str, Any]:
    """The parsed file, or an empty table when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path}: not UTF-8 ({exc.reason})") from None
    except RecursionError:
        raise ConfigError(f"config file {path}: nests arrays or tables too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends "(at line L, column C)".
        raise ConfigError(f"config file {path}: {exc}") from None


def save(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically with `data`, readable by its owner only."""
    import tomli_w

    text = tomli_w.dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
