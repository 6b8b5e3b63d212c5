"""docs/configuration.md cannot drift from the code: its key table is what `keys.KEYS`
renders, and every environment variable in `config/env.py` is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mpo.config import env
from mpo.config.keys import KEYS

PAGE = Path(__file__).parents[2] / "docs" / "configuration.md"


def _default(value: Any) -> str:
    if value is None:
        return "the platform data dir's `mpo.db`"
    if isinstance(value, tuple):
        return f"`{','.join(value)}`"
    return f"`{value}`"


def key_table() -> str:
    lines = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
    lines += [f"| `{k.name}` | {k.type_name} | {_default(k.default)} | `{k.env}` | {k.help} |"
              for k in KEYS.values()]
    return "\n".join(lines) + "\n"


def test_the_key_table_matches_the_code() -> None:
    assert key_table() in PAGE.read_text(), f"docs/configuration.md needs:\n{key_table()}"


def test_every_environment_variable_is_documented() -> None:
    names = [v for k, v in vars(env).items() if k.isupper() and isinstance(v, str)]
    page = PAGE.read_text()
    assert [n for n in names if f"`{n}`" not in page] == []
