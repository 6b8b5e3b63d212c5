"""No module of `src/mpo` over 300 lines (issue 20): small modules named for what they hold
(STYLE.md). Migrations are excepted: each is one revision, written once."""

from __future__ import annotations

from pathlib import Path

MPO = Path(__file__).parents[1] / "src" / "mpo"
MOST = 300


def sizes() -> dict[str, int]:
    """Lines per module, by its path under src/mpo, migrations left out."""
    return {path.relative_to(MPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
            for path in sorted(MPO.rglob("*.py")) if "migrations" not in path.parts}


def test_no_module_is_over_300_lines() -> None:
    offenders = [f"{name}: {lines}" for name, lines in sizes().items() if lines > MOST]
    assert offenders == [], f"split these by what they hold: {offenders}"
