"""The house layering, checked statically (issue 11, defect 11).

`mpo.core` decides: it imports no front end, no store, no delivery, no credential store and
no configuration, so arrows point inward; the CLI parses and renders and never writes SQL;
configuration, read by every layer, depends on none above it; and the core's modules import
each other without cycles.

The graph is read with `ast`, never by importing: every `import` and `from ... import`,
at module level, inside a function or under `if TYPE_CHECKING:`. Type-only imports never
run, but they count: a module that names another's types depends on it, and a cycle among
them (issue 20: seven modules through `mpo.core.ports`, whose protocols named types defined
in the use cases that call them) means the layers are not layers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"

#: Libraries of the front ends: the core never needs them.
FRONT_END_LIBRARIES = ("typer", "rich", "click", "fastapi", "starlette", "textual", "mcp",
                       "mcp_types")
#: The outer layers: they import the core, never the other way round. Credentials
#: (`mpo.auth`) and settings (`mpo.config`) are read by the doors and the store; the core
#: gets what it needs from them as plain values (`Rules`, an `Actor`, a token string).
OUTER = ("mpo.cli", "mpo.http", "mpo.tui", "mpo.mcp", "mpo.store", "mpo.delivery", "mpo.report",
         "mpo.auth", "mpo.config")


@dataclass(frozen=True)
class Edge:
    """One import statement's target, as `source` imports it."""

    source: str
    target: str
    line: int
    lazy: bool  # inside a function: runs when called, not when `source` is imported
    typing: bool = False  # under `if TYPE_CHECKING:`: only the type checker follows it

    def __str__(self) -> str:
        how = " (type-only)" if self.typing else " (lazy)" if self.lazy else ""
        return f"{self.source}:{self.line} -> {self.target}{how}"


def _name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_name(path): path for path in (SRC / "mpo").rglob("*.py")}


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _targets(node: ast.Import | ast.ImportFrom, source: str) -> list[str]:
    """The modules an import statement loads: `from a import b` is `a.b` when that is one."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert node.level == 0 and node.module, f"{source}:{node.lineno}: a relative import"
    return [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in _modules()
            else node.module for a in node.names]


@cache
def edges() -> tuple[Edge, ...]:
    """Every import of every module of `src/mpo`, those under `if TYPE_CHECKING:` marked."""
    found: list[Edge] = []

    def visit(node: ast.AST, source: str, lazy: bool, typing: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            typed = typing or _type_checking(child)
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend(Edge(source, target, child.lineno, inner, typed)
                             for target in _targets(child, source))
            visit(child, source, inner, typed)

    for name, path in _modules().items():
        visit(ast.parse(path.read_text(encoding="utf-8")), name, False, False)
    return tuple(found)


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def test_the_graph_sees_lazy_and_type_only_imports() -> None:
    seen = {(e.source, e.target, e.lazy, e.typing) for e in edges()}
    assert ("mpo.cli.app", "typer", False, False) in seen
    assert any(source.startswith("mpo.cli.") and lazy for source, _, lazy, _ in seen)
    # `mpo.core.ports.queries` names the stats types only for mypy.
    assert ("mpo.core.ports.queries", "mpo.core.domain.stats_query", False, True) in seen


def test_the_core_imports_no_front_end_store_or_delivery() -> None:
    """Not even inside a function: the core reaches the store through `mpo.core.ports`."""
    wrong = [str(e) for e in edges() if _within(e.source, ("mpo.core",))
             and (_within(e.target, FRONT_END_LIBRARIES) or _within(e.target, OUTER))]
    assert wrong == []


def test_the_cores_folders_show_its_layers() -> None:
    """Inside the core (issue 20): the domain (rules as data) imports no use case and no
    table (it may name the entities' types for the checker); the tables import no use case;
    the ports name the domain's and the tables' types, never a use case; nothing in the
    core sits outside these four folders."""
    allowed = {"mpo.core.domain": ("mpo.core.domain",),
               "mpo.core.tables": ("mpo.core.domain", "mpo.core.tables"),
               "mpo.core.ports": ("mpo.core.domain", "mpo.core.tables", "mpo.core.ports")}
    wrong = []
    for e in edges():
        for layer, may in allowed.items():
            if _within(e.source, (layer,)) and _within(e.target, ("mpo.core",)) \
                    and not _within(e.target, may) \
                    and not (layer == "mpo.core.domain" and e.typing
                             and _within(e.target, ("mpo.core.tables",))):
                wrong.append(str(e))
    assert wrong == []
    loose = [m for m in _modules() if m.startswith("mpo.core.") and m.count(".") == 2
             and m.split(".")[2] not in ("domain", "usecases", "tables", "ports")]
    assert loose == []


def test_the_cli_never_imports_sqlalchemy() -> None:
    """The command line never writes SQL: the store does."""
    wrong = [str(e) for e in edges() if _within(e.source, ("mpo.cli",))
             and _within(e.target, ("sqlalchemy", "sqlmodel"))]
    assert wrong == []


def test_configuration_depends_on_no_layer_above_it() -> None:
    """Every layer reads configuration (database URLs included), so it imports none but
    the core."""
    wrong = [str(e) for e in edges() if _within(e.source, ("mpo.config",))
             and _within(e.target, OUTER) and not _within(e.target, ("mpo.config",))]
    assert wrong == []


@pytest.mark.parametrize("level", ["module-level", "with-function-level", "with-type-only"])
def test_the_core_has_no_import_cycles(level: str) -> None:
    """First among module-level imports; then counting imports inside functions, since a
    lazy import that closes a cycle only hides it; then type-only imports too."""
    graph: dict[str, set[str]] = {}
    for e in edges():
        if _within(e.source, ("mpo.core",)) and _within(e.target, ("mpo.core",)) \
                and e.target != e.source \
                and (level != "module-level" or not e.lazy) \
                and (level == "with-type-only" or not e.typing):
            graph.setdefault(e.source, set()).add(e.target)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as cycle:
        pytest.fail(f"import cycle: {' -> '.join(cycle.args[1])}")


