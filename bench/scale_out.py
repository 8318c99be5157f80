"""Scale out on one machine: two gunicorn instances, one PostgreSQL, a knowledge edit mid-run.

Run ``python -m bench.scale_out [--workers 1] [--clients 16] [--seconds 20] [--json]``.
It starts a private PostgreSQL cluster (or uses DATABASE_URL when it is postgresql), two
identical gunicorn instances on two ports, and a round-robin client. Halfway through, an edited
pack (every title and answer stamped 【改訂版】) is imported with the same store function
``flask kb import`` uses, from this process, like a staff edit on another machine; the script then checks that every answer from every instance switched, and that no
request started after the import had committed got the old text.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bot.core.tenancy import use_town
from bot.models.tenancy import DEFAULT_TOWN_ID
import yaml

from bench._common import ROOT, FakeLineProcess, Gunicorn, drive, prepare_database, private_postgres, \
    service_env, wait_for_replies

MARK = "【改訂版】"


def edited_pack(directory: Path) -> tuple[Path, list[str]]:
    """Copy the bundled pack into directory with every title and answer stamped; return it and the old titles."""
    target = directory / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    titles = []
    for path in sorted(target.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "slug" not in data:
            continue  # the synonym table
        titles.append(data["title"])
        data["title"] = MARK + data["title"]
        data["answer"] = MARK + data["answer"]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target, titles


def _editor(url: str):
    """Return a function that imports a pack into the shared database and reports what changed."""
    from bot import create_app
    from bot.pack import read_pack
    from bot.pack import import_pack

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})

    def edit(directory: Path) -> str:
        with app.app_context(), use_town(DEFAULT_TOWN_ID):
            report = import_pack(read_pack(directory))
        return f"updated {len(report.updated)} entries, version bumped"

    return edit


def classify(messages: str, old_titles: list[str]) -> str:
    """Say whether a reply shows the edited knowledge, the old one, or no entry at all."""
    if MARK in messages:
        return "new"
    return "old" if any(t in messages for t in old_titles) else "none"


def main(argv: list[str] | None = None) -> dict:
    """Run the scale-out demonstration and print what every instance answered."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="workers per instance")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        fake = FakeLineProcess(args.latency_ms)
        stack.callback(fake.stop)
        url, extra = os.environ.get("DATABASE_URL", ""), {}
        if not url.startswith("postgres"):
            url, extra = private_postgres(stack)
        env = service_env(url, fake.url, **extra)
        prepare_database(env)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scale-")))
        pack, old_titles = edited_pack(tmp)

        instances = [Gunicorn("app:app", env, workers=args.workers) for _ in range(2)]
        for server in instances:
            server.start(wait=False)
            stack.callback(server.stop)
        for server in instances:
            server.wait_ready()
        drive([s.port for s in instances], clients=4, seconds=2)  # warm connections
        fake.reset()

        edit: dict[str, float] = {}

        editor = _editor(url)

        def import_edit() -> None:
            edit["started"] = time.perf_counter() - run_start
            edit["report"] = editor(pack)
            edit["committed"] = time.perf_counter() - run_start  # import_pack returns after its commit

        run_start = time.perf_counter()
        result = drive([s.port for s in instances], clients=args.clients, seconds=args.seconds, midway=import_edit)
        offset = time.perf_counter() - run_start - result.seconds  # drive's clock started a hair later
        replies = wait_for_replies(fake, len(result.ok), tokens={s.token for s in result.ok})
        bodies = fake.summary(with_bodies=True)["bodies"]

    out = {"config": {"instances": 2, "workers_per_instance": args.workers, "clients": args.clients,
                      "seconds": args.seconds, "database": "postgresql"},
           "edit": {"import": edit.get("report", ""), "started_s": round(edit.get("started", 0), 2),
                    "committed_s": round(edit.get("committed", 0), 2)},
           "total": dict(result.stats(), duplicate_replies=replies["duplicates"]), "instances": {}}
    committed = edit.get("committed", float("inf")) + offset
    for server in instances:
        mine = [s for s in result.samples if s.port == server.port]
        ok = [s for s in mine if s.status == 200]
        kinds = [(s, classify(bodies.get(s.token, ""), old_titles)) for s in ok]
        after = [(s, k) for s, k in kinds if s.started > committed]
        first_new = min((s.started for s, k in kinds if k == "new"), default=None)
        out["instances"][f"127.0.0.1:{server.port}"] = {
            "requests": len(mine), "errors": len(mine) - len(ok),
            "old_before_edit": sum(1 for s, k in kinds if k == "old" and s.started <= committed),
            "new_after_edit": sum(1 for _, k in after if k == "new"),
            "stale_after_edit": sum(1 for _, k in after if k == "old"),
            "first_new_answer_s": round(first_new, 2) if first_new is not None else None,
            "picked_up": any(k == "new" for _, k in after) and not any(k == "old" for _, k in after),
        }
    out["every_instance_picked_up_the_edit"] = all(i["picked_up"] for i in out["instances"].values())
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else report(out))
    return out


def report(out: dict) -> str:
    """Return the figures as text."""
    c, e, t = out["config"], out["edit"], out["total"]
    lines = [f"2 instances x {c['workers_per_instance']} worker(s), {c['clients']} clients round-robin, "
             f"{c['seconds']} s, one PostgreSQL",
             f"total: {t['rps']} req/s, p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms, errors {t['errors']}, "
             f"duplicate replies {t['duplicate_replies']}",
             f"edit: import_pack (what `flask kb import` runs) started at {e['started_s']} s, committed by {e['committed_s']} s ({e['import']})"]
    for name, i in out["instances"].items():
        lines.append(f"{name}: {i['requests']} requests, {i['errors']} errors; old answers before the edit "
                     f"{i['old_before_edit']}, new after {i['new_after_edit']}, stale after {i['stale_after_edit']}; "
                     f"first new answer at {i['first_new_answer_s']} s")
    lines.append("every instance picked up the edit: " + ("YES" if out["every_instance_picked_up_the_edit"] else "NO"))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
