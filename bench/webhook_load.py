"""Load the real webhook under gunicorn side by side with a minimal echo bot on the same stack.

Run ``python -m bench.webhook_load [--workers 2] [--clients 32] [--seconds 20] [--latency-ms 50]
[--postgres] [--json]``. The database is DATABASE_URL when set (it is migrated and the bundled
pack imported into it), a private PostgreSQL cluster with --postgres, else a temporary SQLite file.
All traffic stays on 127.0.0.1: the load driver, gunicorn and the fake LINE API.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from contextlib import ExitStack

from bench._common import FakeLineProcess, Gunicorn, drive, prepare_database, service_env, sqlite_url, \
    wait_for_replies


def database(stack: ExitStack, postgres: bool) -> tuple[str, str]:
    """Return (SQLAlchemy URL, label) for the run, starting what it needs."""
    if postgres:
        from tests.pgserver import PgServer

        server = PgServer()
        url = server.start()
        stack.callback(server.stop)
        return url, "postgresql (private cluster)"
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        return url, url.split(":", 1)[0]
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-"))
    return sqlite_url(tmp), "sqlite (temporary file)"


def measure(app: str, env: dict, fake: FakeLineProcess, args) -> dict:
    """Start one gunicorn app, warm it, load it, and return its figures."""
    server = Gunicorn(app, env, workers=args.workers, threads=args.threads).start()
    try:
        drive([server.port], clients=args.clients, seconds=args.warmup)
        fake.reset()
        result = drive([server.port], clients=args.clients, seconds=args.seconds, max_requests=args.max_requests)
        stats = result.stats()
        replies = wait_for_replies(fake, stats["ok"])
        stats["replies"] = replies["replies"]
        stats["duplicate_replies"] = replies["duplicates"]
        stats["missing_replies"] = max(0, stats["ok"] - replies["tokens"])
        stats["memory_mib"] = server.memory()
    finally:
        server.stop()
        fake.reset()
    stats["decision_cache"] = cache_stats(server.output(20_000)) if app == "app:app" else None
    return stats


def cache_stats(log: str) -> dict | None:
    """Sum the decision-cache lines the bot's workers log when they exit."""
    found = re.findall(r"decision cache: hits=(\d+) misses=(\d+)", log)
    if not found:
        return None
    hits, misses = sum(int(h) for h, _ in found), sum(int(m) for _, m in found)
    return {"hits": hits, "misses": misses, "hit_rate": round(hits / (hits + misses), 3) if hits + misses else 0.0}


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (gunicorn.conf.py: 8)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the fake LINE API's answer latency")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="start a private PostgreSQL cluster")
    parser.add_argument("--no-cache", action="store_true",
                        help="DECISION_CACHE_SIZE=0: every question goes through the matcher")
    parser.add_argument("--skip-echo", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        fake = FakeLineProcess(args.latency_ms)
        stack.callback(fake.stop)
        url, label = database(stack, args.postgres)
        env = service_env(url, fake.url)
        if args.no_cache:
            env["DECISION_CACHE_SIZE"] = "0"
        prepare_database(env)
        out = {"config": {"workers": args.workers, "threads": args.threads or 8, "clients": args.clients,
                          "seconds": args.seconds, "latency_ms": args.latency_ms, "database": label,
                          "cpus": os.cpu_count(),
                          "decision_cache": env.get("DECISION_CACHE_SIZE", "default (4096)")}}
        out["bot"] = measure("app:app", env, fake, args)
        if not args.skip_echo:
            out["echo"] = measure("bench.echo_bot:app", env, fake, args)
            out["ratio_rps"] = round(out["bot"]["rps"] / out["echo"]["rps"], 3) if out["echo"]["rps"] else None
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else report(out))
    return out


def report(out: dict) -> str:
    """Return the figures as a short table."""
    c = out["config"]
    lines = [f"workers={c['workers']} threads={c['threads']} clients={c['clients']} seconds={c['seconds']} "
             f"LINE latency={c['latency_ms']} ms db={c['database']} cpus={c['cpus']} "
             f"DECISION_CACHE_SIZE={c['decision_cache']}",
             f"{'':6} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6} {'dup':>4} {'missing':>7}"]
    for name in ("bot", "echo"):
        if name in out:
            s = out[name]
            lines.append(f"{name:6} {s['rps']:8.1f} {s['p50_ms']:7.1f} {s['p95_ms']:7.1f} {s['p99_ms']:7.1f} "
                         f"{s['max_ms']:7.1f} {s['errors']:6d} {s['duplicate_replies']:4d} {s['missing_replies']:7d}")
    cache = out.get("bot", {}).get("decision_cache")
    if cache:
        lines.append(f"decision cache (whole run, warm-up included): {cache['hits']} hits, {cache['misses']} misses, "
                     f"hit rate {cache['hit_rate']:.1%}")
    if out.get("ratio_rps") is not None:
        lines.append(f"throughput ours / echo = {out['ratio_rps']:.2f}  (target >= 0.70)")
    for name in ("bot", "echo"):
        if name in out:
            mem = out[name]["memory_mib"]
            workers = ", ".join(f"rss {w.get('rss')} / pss {w.get('pss')} / private {w.get('private')}"
                                for w in mem["workers"])
            m = mem["master"]
            lines.append(f"{name} memory MiB: master rss {m.get('rss')} pss {m.get('pss')}; workers: {workers}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
