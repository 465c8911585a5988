"""ARCHITECTURE.md's layer list is the import graph: every package and top-level module of alphastock is
on exactly one numbered line of its "Layers" section and imports only from lines above its own."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_import_graph import PACKAGE, module_graph

DOC = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"


def _layers() -> list[set[str]]:
    section = DOC.read_text().split("## Layers", 1)[1]
    lines = [line for line in section.splitlines() if re.match(r"\d+\. ", line)]
    return [{f"{PACKAGE}.{name}" for name in re.findall(r"`([a-z_]+)`", line)} for line in lines]


def test_every_part_is_on_one_layer_and_imports_only_from_below() -> None:
    graph = module_graph()
    layers = _layers()
    placed = [name for layer in layers for name in layer]
    assert len(placed) == len(set(placed)), "a part is on two lines"
    assert set(placed) == set(graph), (
        f"missing: {sorted(set(graph) - set(placed))}; unknown: {sorted(set(placed) - set(graph))}"
    )
    level = {name: i for i, layer in enumerate(layers) for name in layer}
    upward = {node: sorted(dep for dep in deps if level[dep] >= level[node]) for node, deps in graph.items()}
    assert {node: deps for node, deps in upward.items() if deps} == {}
