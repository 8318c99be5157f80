"""The shape of bot/: no import cycles, and the import contracts in .importlinter hold (lint-imports).

The cycle check reads the source with ast, so it sees every import: at module level, inside functions (a late
import that only hides a cycle is still a cycle) and under `if TYPE_CHECKING:`.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_names(package: Path) -> dict[str, Path]:
    """Return {dotted module name: file} for every module of a package directory."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        # `from pkg import module` imports that module; `from pkg import name` runs pkg/__init__.py.
        names = {f"{origin}.{alias.name}" for alias in node.names}
        if any(name not in modules for name in names):
            names.add(origin)
    found = set()
    for name in names:
        # `import a.b.c` runs a, a.b and a.b.c; the nearest module of the package counts.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    """Return which modules of the package each module imports, anywhere in its file."""
    modules = module_names(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[name] |= _imported(node, name, path.name == "__init__.py", modules)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def _package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_no_module_of_bot_takes_part_in_an_import_cycle():
    cycles = import_cycles(import_graph(ROOT / "bot"))
    assert cycles == [], "import cycles in bot/:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_the_cycle_check_sees_late_relative_and_type_checking_imports(tmp_path):
    # Each pair below is a cycle written one way the check must not miss.
    package = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def f():\n    from pkg.a import x  # late: still a cycle\n",
        "pkg/sub/__init__.py": "from .c import y\n",
        "pkg/sub/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub import z\n",
        "pkg/d.py": "import pkg.e\n",
        "pkg/e.py": "from . import d\n",
        "pkg/f.py": "from pkg import a\n",  # imports into a cycle, takes no part in one
    })
    assert sorted(import_cycles(import_graph(package))) == [
        ["pkg.a", "pkg.b"], ["pkg.d", "pkg.e"], ["pkg.sub", "pkg.sub.c"]]


def test_a_package_without_cycles_passes_the_check(tmp_path):
    package = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low.py": "import os\n",
        "pkg/high.py": "from pkg.low import os\n\ndef f():\n    import pkg.low\n",
    })
    assert import_cycles(import_graph(package)) == []


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # The contracts this repository promises (docs/development.md, "Layers"): none may go missing.
    assert "bot.matching imports nothing of Flask, the database or LINE KEPT" in result.stdout
    assert "No feature imports another feature's console (staff views) KEPT" in result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_shape_report_counts_no_circle_and_no_upward_import():
    # scripts/shape_report.py prints the numbers docs/development.md quotes; it reads this tree with the graph above.
    report = subprocess.run([sys.executable, str(ROOT / "scripts" / "shape_report.py")], capture_output=True,
                            text=True, timeout=120, check=True).stdout
    assert "import circles: 0\n" in report
    assert "imports back up the layers (ignore_imports): 0\n" in report
    assert "tests: 0 modules flat in tests/" in report
