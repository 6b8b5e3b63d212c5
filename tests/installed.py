"""The `mpo` console script of the environment running the tests: the venv's own, next to
sys.executable, never whatever `mpo` PATH finds first (a plain checkout has none on PATH)."""

from __future__ import annotations

import sys
from pathlib import Path

MPO = str(Path(sys.executable).parent / "mpo")
