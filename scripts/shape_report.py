"""Print the shape of bot/: import circles, imports that run back up the layers, the largest modules, and where
`db.session.commit()` is called outside the services.

    .venv/bin/python scripts/shape_report.py [REPO]        # REPO defaults to this checkout

Issue 20 asked for these numbers before and after; docs/development.md quotes them. A door is a module that
receives a request, a command or a job and calls services: a feature's `console.py`, `views.py` or `cli.py`, the
console shell's views (`bot/admin/views/`), `bot/cli.py`, the webhook (`bot/line/webhook.py`) and the simulator.
"""
from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))
# The suite's own import graph and cycle finder (tests/app/test_architecture.py checks them on small packages).
from tests.app.test_architecture import import_cycles, import_graph  # noqa: E402

DOOR_NAMES = {"console.py", "views.py", "cli.py", "webhook.py", "simulator.py"}
COMMIT = re.compile(r"\bdb\.session\.commit\(\)")
AUDIT = re.compile(r"\baudit\.record\(|^from bot(\.core)?\.audit import", re.M)


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
    edges = import_graph(package)
    found = import_cycles(edges)
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
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
