"""The layout holds: modules of one concern and bounded size, no import cycles, no private names across modules."""

import ast
import os
import random
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("clearance", "perf")
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    """Every module of the application packages (migrations aside), by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The dotted name an ImportFrom in MODULE refers to."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(module: str, path: Path, nodes) -> list[tuple[str, ast.ImportFrom | ast.Import]]:
    """(imported application module, node) for each import among NODES of MODULE; a module imported from a package counts as that module."""
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names if alias.name.split(".")[0] in PACKAGES]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, path, node)
            if target.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.append((submodule if submodule in MODULES else target, node))
    return found


def test_no_module_of_the_application_is_over_500_lines():
    too_long = {name: lines for name, path in MODULES.items() if (lines := len(path.read_text().splitlines())) > MAX_LINES}

    assert too_long == {}


def test_the_application_imports_form_no_cycle():
    graph = {name: {target for target, _node in _imports(name, path, _tree(path).body) if target in MODULES}
             for name, path in MODULES.items()}
    # A package's __init__ is imported on the way to any of its modules.
    for name in list(graph):
        for target in list(graph[name]):
            parent = target.rpartition(".")[0]
            while parent:
                if parent in graph and parent != name and not name.startswith(parent + "."):
                    graph[name].add(parent)
                parent = parent.rpartition(".")[0]
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])

    assert cycles == []


def test_no_import_is_hidden_inside_a_function_of_the_application():
    """An import inside a function is how a cycle hides; management commands and app ready() are the exceptions."""
    hidden = []
    for name, path in MODULES.items():
        if ".management.commands." in name or name.endswith(".apps"):
            continue
        tree = _tree(path)
        top = {id(node) for _target, node in _imports(name, path, tree.body)}
        hidden += [f"{name}: {target}" for target, node in _imports(name, path, ast.walk(tree)) if id(node) not in top]

    assert hidden == []


def test_no_private_name_is_imported_from_another_module():
    crossing = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and _absolute(name, path, node).split(".")[0] in PACKAGES:
                crossing += [f"{name}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                # module._name, where module is an application module imported by name
                if isinstance(node.value, ast.Name) and f"clearance.{node.value.id}" in MODULES and node.value.id not in ("self", "cls"):
                    crossing.append(f"{name}: {node.value.id}.{node.attr}")

    assert crossing == []


def test_the_modules_import_in_any_order():
    """In fresh interpreters (after Django's set-up), every module imports, in sorted, reversed and shuffled order."""
    orders = [sorted(MODULES), sorted(MODULES, reverse=True)]
    shuffled = sorted(MODULES)
    random.Random(11).shuffle(shuffled)
    orders.append(shuffled)
    for order in orders:
        script = "import django, importlib; django.setup(); " + "; ".join(f"importlib.import_module({name!r})" for name in order)
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "DJANGO_SETTINGS_MODULE": "pinghu.test_settings"})

        assert result.returncode == 0, result.stderr[-2000:]


def test_clearance_never_imports_the_development_app():
    """Production settings leave perf out: nothing in clearance may need it."""
    needing_perf = [
        f"{name}: {target}"
        for name, path in MODULES.items()
        if name.startswith("clearance")
        for target, _node in _imports(name, path, ast.walk(_tree(path)))
        if target.split(".")[0] == "perf"
    ]

    assert needing_perf == []
