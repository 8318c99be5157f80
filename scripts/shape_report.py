"""Print the shape of bot/: import circles, imports that run back up the layers, the largest modules, and where
`db.session.commit()` is called outside the services.

    .venv/bin/python scripts/shape_report.py [REPO]        # REPO defaults to this checkout

Issue 20 asked for these numbers before and after; docs/development.md quotes them. A door is a module that
receives a request, a command or a job and calls services: a feature's `console.py`, `views.py` or `cli.py`, the
console shell's views (`bot/admin/views/`), `bot/cli.py`, the webhook (`bot/line/webhook.py`) and the simulator.
"""
from __future__ import annotations

import ast
import configparser
import re
import sys
from pathlib import Path

DOOR_NAMES = {"console.py", "views.py", "cli.py", "webhook.py", "simulator.py"}
COMMIT = re.compile(r"\bdb\.session\.commit\(\)")
AUDIT = re.compile(r"\baudit\.record\(|^from bot(\.core)?\.audit import", re.M)


def modules(package: Path) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def graph(package: Path) -> dict[str, set[str]]:
    """Which modules of the package each module imports, anywhere in its file (late imports count)."""
    mods = modules(package)
    edges: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = {f"{origin}.{alias.name}" for alias in node.names}
                if any(target not in mods for target in targets):
                    targets.add(origin)
            else:
                continue
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                # A package's __init__ importing its own modules is not a circle worth counting.
                if target and target != name and not target.startswith(name + "."):
                    edges[name].add(target)
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def ignored_imports(repo: Path) -> list[str]:
    path = repo / ".importlinter"
    if not path.exists():
        return []
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    lines = []
    for section in parser.sections():
        raw = parser[section].get("ignore_imports", "")
        lines += [line.strip() for line in raw.splitlines() if line.strip()]
    return lines


def is_door(path: Path, package: Path) -> bool:
    relative = path.relative_to(package).as_posix()
    return path.name in DOOR_NAMES or relative.startswith("admin/views/") or relative == "demo.py"


def main(repo: Path) -> None:
    package = repo / "bot"
    edges = graph(package)
    found = circles(edges)
    print(f"modules in bot/: {len(edges)}; lines: {sum(len(p.read_text(encoding='utf-8').splitlines()) for p in package.rglob('*.py'))}")
    print(f"import circles: {len(found)}" + "".join(f"\n  {' ↔ '.join(c)}" for c in found))
    ignored = ignored_imports(repo)
    print(f"imports back up the layers (ignore_imports): {len(ignored)}" + "".join(f"\n  {line}" for line in ignored))
    sizes = sorted(((len(p.read_text(encoding="utf-8").splitlines()), p.relative_to(repo).as_posix())
                    for p in package.rglob("*.py")), reverse=True)[:8]
    print("largest modules:" + "".join(f"\n  {lines:5d} {name}" for lines, name in sizes))
    committing = [p for p in sorted(package.rglob("*.py")) if COMMIT.search(p.read_text(encoding="utf-8"))]
    doors = [p for p in committing if is_door(p, package)]
    print(f"modules calling db.session.commit(): {len(committing)}; of them doors (outside services): {len(doors)}"
          + "".join(f"\n  {p.relative_to(repo).as_posix()}" for p in doors))
    auditing = [p for p in committing + [q for q in sorted(package.rglob("*.py")) if q not in committing]
                if is_door(p, package) and AUDIT.search(p.read_text(encoding="utf-8"))]
    print(f"doors writing audit rows themselves: {len(auditing)}"
          + "".join(f"\n  {p.relative_to(repo).as_posix()}" for p in auditing))
    tests = repo / "tests"
    flat = [p for p in tests.glob("*.py") if p.name not in ("__init__.py", "conftest.py")] if tests.exists() else []
    folders = [p for p in tests.iterdir() if p.is_dir() and (p / "__init__.py").exists()] if tests.exists() else []
    print(f"tests: {len(flat)} modules flat in tests/, {len(folders)} folders")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
