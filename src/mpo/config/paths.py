"""Where mpo keeps its files: the platform's config and data directories (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

from mpo.config import env

APP = "mpo"


def config_file() -> Path:
    """The TOML config file: `MPO_CONFIG`, else `<user config dir>/mpo/config.toml`."""
    override = os.environ.get(env.CONFIG)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP, appauthor=False) / "config.toml"


def default_database() -> Path:
    """The SQLite file used when no database URL is configured."""
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False) / "mpo.db"


def cache_dir() -> Path:
    """Where mpo keeps what it can always compute again (the plugin index)."""
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)
