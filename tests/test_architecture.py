"""The layers of docs/architecture.md hold: imports point down, never in a circle.

The import graph is read from the source (imports inside functions included), so hiding an
import in a function does not hide it from these tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from webapp.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "webapp"
LAYERS = ["core", "models", "services", "web", "app"]
CORE = {
    "webapp.config", "webapp.types", "webapp.errors", "webapp.calendar", "webapp.crypto",
    "webapp.content", "webapp.events", "webapp.extensions", "webapp.archives",
}
LONGEST_MODULE = 350  # lines; content.py is text, not logic, and may be longer
TEXT_MODULES = {"webapp.content"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every webapp module ``name`` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not target.startswith(name + "."):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def layer_of(name: str) -> str:
    """Which layer a module belongs to, from its name alone (see docs/architecture.md)."""
    if name == "webapp":
        return "app"
    if name in CORE:
        return "core"
    last = name.rpartition(".")[2]
    if name in {"webapp.models", "webapp.encrypted_fields"} or last == "models":
        return "models"
    if name.startswith("webapp.web") or last in {"routes", "cli"} or name.count(".") == 1:
        return "web"  # a capability's package __init__ is its blueprint
    return "services"


def capability_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of nodes that reach one another (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between webapp's direct parts; the app factory wires all and is left out."""
    parts: dict[str, set[str]] = {}
    for name, targets in graph.items():
        if name == "webapp":
            continue
        parts.setdefault(capability_of(name), set()).update(
            capability_of(t) for t in targets
            if t != "webapp" and capability_of(t) != capability_of(name)
        )
    return parts


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"
        for name, targets in graph.items()
        for target in targets
        if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(name))
    )


# --- The rules, on Tend's own code -----------------------------------------------------------


def test_no_module_imports_another_in_a_circle():
    assert cycles(import_graph()) == []


def test_no_package_imports_another_in_a_circle():
    assert cycles(package_graph(import_graph())) == []


def test_every_import_points_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_only_config_reads_the_environment():
    readers = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"} and (
                isinstance(node.value, ast.Name) and node.value.id == "os"
            ):
                readers.append(name)
    assert set(readers) == {"webapp.config"}


def test_no_module_is_a_god_module():
    long = {
        name: len(path.read_text().splitlines())
        for name, path in modules().items()
        if name not in TEXT_MODULES and len(path.read_text().splitlines()) > LONGEST_MODULE
    }
    assert long == {}


# --- The checks themselves can fail ----------------------------------------------------------


def test_a_cycle_hidden_in_a_function_is_found(tmp_path, monkeypatch):
    """The graph counts an import inside a function: the old auth.models <-> encrypted_fields
    tangle, written again, is caught."""
    models = tmp_path / "models.py"
    models.write_text("def make():\n    from webapp.encrypted_fields import keyring\n")
    fields = tmp_path / "fields.py"
    fields.write_text("from webapp.auth.models import User\n")
    known = {"webapp.auth.models", "webapp.encrypted_fields"}
    graph = {
        "webapp.auth.models": imports_of("webapp.auth.models", models, known),
        "webapp.encrypted_fields": imports_of("webapp.encrypted_fields", fields, known),
    }
    assert cycles(graph) == [["webapp.auth.models", "webapp.encrypted_fields"]]


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("webapp.journal.models", "webapp.journal.services"),
        ("webapp.journal.services", "webapp.journal.routes"),
        ("webapp.calendar", "webapp.auth.models"),
        ("webapp.push.planning", "webapp.web.views"),
    ],
)
def test_an_import_up_the_layers_is_named(importer, imported):
    assert upward_imports({importer: {imported}}) == [
        f"{importer} ({layer_of(importer)}) imports {imported} ({layer_of(imported)})"
    ]


def test_packages_calling_each_other_back_are_a_cycle():
    graph = {"webapp.journal.services": {"webapp.journeys.services"},
             "webapp.journeys.routes": {"webapp.journal.timeline"}}
    assert cycles(package_graph(graph)) == [["webapp.journal", "webapp.journeys"]]
