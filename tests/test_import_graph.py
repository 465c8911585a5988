"""No import cycles between the package's parts: each subpackage (``alphastock.execution``) and each
top-level module (``alphastock.clock``) is one node; an edge is any import from one node into another,
at module level or inside a function, read statically from the source (``if TYPE_CHECKING:`` blocks
excepted: they never run). A cycle means two layers depend on each other and cannot be understood, tested
or moved apart."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import alphastock

PACKAGE = alphastock.__name__
ROOT = Path(alphastock.__file__).parent

KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()
"""Cycles still to be broken, each as its set of nodes: none may be added, and one broken must leave."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:`` (its ``else`` runs)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The package's modules ``node`` (in ``module``) imports."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        # ``from a import b``: b may be a submodule, else it is a name in a
        names = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
    out = set()
    for name in names:
        while name and name not in known:  # ``import a.b.c`` of a name: the longest module prefix
            name = name.rpartition(".")[0]
        if name.startswith(f"{PACKAGE}."):
            out.add(name)
    return out


def _node(module: str) -> str:
    """The part of the package ``module`` belongs to: ``alphastock.<first component>``."""
    return ".".join(module.split(".")[:2])


def module_graph() -> dict[str, dict[str, set[str]]]:
    """``{node: {other node: {"importer -> imported", ...}}}`` over the package's parts."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, dict[str, set[str]]] = {_node(m): {} for m in modules if m != PACKAGE}
    for module, path in modules.items():
        if module == PACKAGE:
            continue  # the package root re-exports everything by design; nothing imports it back
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            for target in _targets(module, path.name == "__init__.py", node, known):
                a, b = _node(module), _node(target)
                if a != b:
                    graph[a].setdefault(b, set()).add(f"{module} -> {target}")
    return graph


def _components(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def _cycle_path(graph: dict[str, dict[str, set[str]]], component: list[str]) -> str:
    """One cycle through ``component``'s first node, with the imports that make each edge."""
    members = set(component)
    start = component[0]
    # breadth-first from start back to start, inside the component
    paths = {w: [start, w] for w in sorted(graph[start]) if w in members}
    seen = set(paths)
    frontier = list(paths)
    found = paths.get(start)
    while found is None and frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if (w in members and w not in seen) or w == start:
                    path = [*paths[v], w]
                    if w == start:
                        found = path
                        break
                    paths[w] = path
                    seen.add(w)
                    nxt.append(w)
            if found:
                break
        frontier = nxt
    assert found is not None
    lines = [" -> ".join(found)]
    for a, b in itertools.pairwise(found):
        lines.append(f"    {a} -> {b}: {', '.join(sorted(graph[a][b])[:3])}")
    return "\n".join(lines)


def test_the_graph_sees_imports_at_every_depth_but_not_type_checking_ones() -> None:
    source = """
from typing import TYPE_CHECKING
import alphastock.clock
from alphastock.store import writer
from . import bus
if TYPE_CHECKING:
    from alphastock.engine import Engine
else:
    from alphastock.events import Event
def f():
    from alphastock.execution.oms import OMS
"""
    known = {
        "alphastock.clock", "alphastock.store", "alphastock.store.writer", "alphastock.bus",
        "alphastock.engine", "alphastock.events", "alphastock.execution", "alphastock.execution.oms",
    }  # fmt: skip
    found = set()
    for node in _imports(ast.parse(source)):
        found |= _targets("alphastock.live.app", False, node, known)
    assert found == {
        "alphastock.clock", "alphastock.store.writer", "alphastock.events", "alphastock.execution.oms",
    }  # fmt: skip
    # relative imports resolve against the importing module's package
    (node,) = ast.parse("from . import bus").body
    assert isinstance(node, ast.ImportFrom)
    assert _targets("alphastock.engine", False, node, known) == {"alphastock.bus"}


def test_cycles_are_found_with_their_path() -> None:
    graph = {"a": {"b": {"a.x -> b.y"}}, "b": {"c": {"b.y -> c.z"}}, "c": {"a": {"c.z -> a.x"}}, "d": {}}
    assert _components(graph) == [["a", "b", "c"]]
    assert _cycle_path(graph, ["a", "b", "c"]).splitlines()[0] == "a -> b -> c -> a"


def test_no_import_cycles_between_the_package_parts() -> None:
    graph = module_graph()
    assert "alphastock.execution" in graph
    assert "alphastock.clock" in graph
    cycles = _components(graph)
    new = [c for c in cycles if frozenset(c) not in KNOWN_CYCLES]
    report = "\n\n".join(_cycle_path(graph, c) for c in new)
    assert new == [], f"import cycles between the package's parts:\n{report}"
    gone = KNOWN_CYCLES - {frozenset(c) for c in cycles}
    assert gone == set(), f"cycles broken since: remove them from KNOWN_CYCLES: {gone}"


REFDATA_MAY_IMPORT: frozenset[str] = frozenset(
    {
        "alphastock._core", "alphastock._lazy", "alphastock.calendar", "alphastock.clock",
        "alphastock.config_model", "alphastock.errors", "alphastock.models", "alphastock.ports",
        "alphastock.store",
    }
)  # fmt: skip
"""Reference data sits just above the base modules: brokers, runners, execution, strategies and live
ask it about instruments, never the other way round."""


def test_reference_data_depends_only_on_the_base_modules() -> None:
    graph = module_graph()
    imported = graph["alphastock.refdata"]
    assert "alphastock.store" in imported  # the edge the check reads is there
    above = {node: sorted(edges) for node, edges in imported.items() if node not in REFDATA_MAY_IMPORT}
    assert above == {}, f"alphastock.refdata imports layers above it: {above}"


def test_the_ports_sit_at_the_bottom() -> None:
    """``alphastock.ports`` holds the protocols every layer meets at, so it may import only the models
    and the clock protocol (names under ``TYPE_CHECKING`` never run)."""
    imported = module_graph()["alphastock.ports"]
    assert set(imported) <= {"alphastock.models", "alphastock.clock"}, sorted(imported)
