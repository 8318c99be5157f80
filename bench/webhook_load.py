"""Load the real webhook under gunicorn side by side with a minimal echo bot on the same stack.

Run ``python -m bench.webhook_load [--workers 2] [--clients 32] [--seconds 20] [--latency-ms 50]
[--postgres] [--chat] [--json]``. With --chat, one bot is loaded in alternating rounds by residents asking the FAQ and
by residents who are talking with staff (オンライン窓口: their messages go to staff, the bot stays silent). The database is DATABASE_URL when set (it is migrated and the bundled
pack imported into it), a private PostgreSQL cluster with --postgres, else a temporary SQLite file.
All traffic stays on 127.0.0.1: the load driver, gunicorn and the fake LINE API.
"""
from __future__ import annotations

import argparse
import json
import time
import os
import re
import tempfile
from contextlib import ExitStack

import http.client

from bench._common import HOST, SECRET, FakeLineProcess, Gunicorn, LoadResult, drive, flask_cli, percentile, \
    prepare_database, private_postgres, service_env, sqlite_url, text_event, wait_for_replies
from tests.support.linesign import body_of, sign

# Residents talking with staff in --chat: user ids from here (the FAQ residents are 0-499).
CHAT_BASE = 1000


def database(stack: ExitStack, postgres: bool) -> tuple[str, str, dict[str, str]]:
    """Return (SQLAlchemy URL, label, extra environment) for the run, starting what it needs."""
    if postgres:
        url, extra = private_postgres(stack)
        return url, "postgresql (private cluster, fsync on; the app's own role, row-level security on)", extra
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        return url, url.split(":", 1)[0], {}
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-"))
    return sqlite_url(tmp), "sqlite (temporary file)", {}


def load_round(server: Gunicorn, fake: FakeLineProcess, args) -> dict:
    """Load one running instance for one round; return its samples and what LINE received."""
    fake.reset()
    result = drive([server.port], clients=args.clients, seconds=args.seconds / args.rounds,
                   max_requests=args.max_requests)
    replies = wait_for_replies(fake, len(result.ok), tokens={s.token for s in result.ok})
    return {"result": result, "replies": replies}


def summarise(rounds: list[dict], server: Gunicorn) -> dict:
    """Pool the rounds of one instance into one set of figures."""
    merged = LoadResult([s for r in rounds for s in r["result"].samples], sum(r["result"].seconds for r in rounds))
    stats = merged.stats()
    arrivals = {t: a for r in rounds for t, a in r["replies"]["arrivals"].items()}
    stats.update(reply_latency(merged.ok, arrivals))
    stats["rps_by_round"] = [r["result"].stats()["rps"] for r in rounds]
    stats["replies"] = sum(r["replies"]["replies"] for r in rounds)
    stats["duplicate_replies"] = sum(r["replies"]["duplicates"] for r in rounds)
    stats["missing_replies"] = max(0, stats["ok"] - len(arrivals))
    stats["memory_mib"] = server.memory()
    return stats


def measure(env: dict, fake: FakeLineProcess, args) -> dict:
    """Start the bot and the echo bot, warm both, then load them in alternating rounds."""
    # Alternating short rounds, instead of one long run each, spreads a noisy neighbour's slow spell over both.
    apps = {"bot": "app:app"} if args.skip_echo else {"bot": "app:app", "echo": "bench.echo_bot:app"}
    servers: dict[str, Gunicorn] = {}
    rounds: dict[str, list[dict]] = {name: [] for name in apps}
    out: dict = {}
    try:
        for name, app in apps.items():
            servers[name] = Gunicorn(app, env, workers=args.workers, threads=args.threads).start()
            drive([servers[name].port], clients=args.clients, seconds=args.warmup)
        for _ in range(args.rounds):
            for name in apps:
                rounds[name].append(load_round(servers[name], fake, args))
        for name in apps:
            out[name] = summarise(rounds[name], servers[name])
    finally:
        for server in servers.values():
            server.stop()
        fake.reset()
    log = servers["bot"].output(2_000_000)
    out["bot"]["decision_cache"] = cache_stats(log)
    out["bot"]["log_problems"] = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    return out


def start_chats(port: int, first: int, count: int = 500) -> None:
    """Have `count` residents ask for a person (a signed webhook each), so each is in an open chat."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        for n in range(count):
            body = body_of([text_event(f"01CHATSTART{n:015d}", f"chat-start-{n}", "職員と話したい", first + n)])
            conn.request("POST", "/callback", body,
                         {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"starting chat {n}: HTTP {response.status}")
    finally:
        conn.close()


def measure_chat(env: dict, fake: FakeLineProcess, args) -> dict:
    """One bot, alternating rounds: residents asking the FAQ, then residents in a chat with staff (no reply)."""
    server = Gunicorn("app:app", env, workers=args.workers, threads=args.threads).start()
    rounds: dict[str, list[dict]] = {"faq": [], "chat": []}
    bases = {"faq": 0, "chat": CHAT_BASE}
    try:
        flask_cli(env, "chat", "open")  # whatever the hour: every request starts a chat
        start_chats(server.port, CHAT_BASE)
        for name in rounds:  # warm both paths
            drive([server.port], clients=args.clients, seconds=args.warmup, user_base=bases[name])
        for _ in range(args.rounds):
            for name in rounds:
                fake.reset()
                result = drive([server.port], clients=args.clients, seconds=args.seconds / args.rounds,
                               max_requests=args.max_requests, user_base=bases[name])
                if name == "faq":
                    replies = wait_for_replies(fake, len(result.ok), tokens={s.token for s in result.ok})
                else:
                    time.sleep(1.0)  # any reply the bot wrongly sent has reached the fake by now
                    summary = fake.summary()
                    replies = {"arrivals": {}, "replies": summary["replies"], "duplicates": summary["duplicates"]}
                rounds[name].append({"result": result, "replies": replies})
        out = {name: summarise(rounds[name], server) for name in rounds}
        out["chat"]["missing_replies"] = 0  # none is due: staff answer these residents
        out["chat"]["bot_replies"] = out["chat"].pop("replies")  # must be 0: the bot stays silent in a chat
    finally:
        server.stop()
        fake.reset()
    log = server.output(2_000_000)
    out["faq"]["log_problems"] = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    return out


def reply_latency(samples, arrivals: dict[str, float]) -> dict:
    """Return how long after the webhook was posted its reply reached LINE (p50/p99 ms): what a resident waits."""
    waits = [(arrivals[s.token] - s.sent_at) * 1000.0 for s in samples if s.token in arrivals]
    return {"reply_p50_ms": round(percentile(waits, 50), 1), "reply_p99_ms": round(percentile(waits, 99), 1)}


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
    parser.add_argument("--rounds", type=int, default=4, help="alternating bot/echo rounds sharing --seconds")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the fake LINE API's answer latency")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="start a private PostgreSQL cluster")
    parser.add_argument("--no-cache", action="store_true",
                        help="DECISION_CACHE_SIZE=0: every question goes through the matcher")
    parser.add_argument("--skip-echo", action="store_true")
    parser.add_argument("--chat", action="store_true",
                        help="compare residents in a chat with staff (オンライン窓口) with residents asking the FAQ")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        fake = FakeLineProcess(args.latency_ms)
        stack.callback(fake.stop)
        url, label, extra = database(stack, args.postgres)
        env = service_env(url, fake.url, **extra)
        if args.no_cache:
            env["DECISION_CACHE_SIZE"] = "0"
        prepare_database(env)
        out = {"config": {"workers": args.workers, "threads": args.threads or 8, "clients": args.clients,
                          "seconds": args.seconds, "rounds": args.rounds, "latency_ms": args.latency_ms, "database": label,
                          "cpus": os.cpu_count(),
                          "decision_cache": env.get("DECISION_CACHE_SIZE", "default (4096)")}}
        if args.chat:
            out.update(measure_chat(env, fake, args))
            out["ratio_chat_faq_rps"] = round(out["chat"]["rps"] / out["faq"]["rps"], 3) if out["faq"]["rps"] else None
            print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else report_chat(out))
            return out
        out.update(measure(env, fake, args))
        if not args.skip_echo:
            out["ratio_rps"] = round(out["bot"]["rps"] / out["echo"]["rps"], 3) if out["echo"]["rps"] else None
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else report(out))
    return out


def report(out: dict) -> str:
    """Return the figures as a short table."""
    c = out["config"]
    lines = [f"workers={c['workers']} threads={c['threads']} clients={c['clients']} seconds={c['seconds']} "
             f"LINE latency={c['latency_ms']} ms db={c['database']} cpus={c['cpus']} "
             f"DECISION_CACHE_SIZE={c['decision_cache']}",
             "webhook: the POST's own latency; reply reached LINE: from the POST to the reply's arrival at LINE",
             f"{'':6} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6} {'dup':>4} {'missing':>7}"
             f" {'reply p50':>9} {'reply p99':>9}"]
    for name in ("bot", "echo"):
        if name in out:
            s = out[name]
            lines.append(f"{name:6} {s['rps']:8.1f} {s['p50_ms']:7.1f} {s['p95_ms']:7.1f} {s['p99_ms']:7.1f} "
                         f"{s['max_ms']:7.1f} {s['errors']:6d} {s['duplicate_replies']:4d} {s['missing_replies']:7d}"
                         f" {s['reply_p50_ms']:9.1f} {s['reply_p99_ms']:9.1f}")
    cache = out.get("bot", {}).get("decision_cache")
    if cache:
        lines.append(f"decision cache (whole run, warm-up included): {cache['hits']} hits, {cache['misses']} misses, "
                     f"hit rate {cache['hit_rate']:.1%}")
    problems = out.get("bot", {}).get("log_problems") or []
    lines.append(f"bot log: {len(problems)} warnings/errors" + "".join(f"\n  {p[:200]}" for p in problems[:5]))
    if out.get("ratio_rps") is not None:
        lines.append(f"throughput ours / echo = {out['ratio_rps']:.2f}  (target >= 0.70)")
    for name in ("bot", "echo"):
        if name in out:
            lines.append(f"{name} req/s by round: {out[name]['rps_by_round']}")
    for name in ("bot", "echo"):
        if name in out:
            mem = out[name]["memory_mib"]
            workers = ", ".join(f"rss {w.get('rss')} / pss {w.get('pss')} / private {w.get('private')}"
                                for w in mem["workers"])
            m = mem["master"]
            lines.append(f"{name} memory MiB: master rss {m.get('rss')} pss {m.get('pss')}; workers: {workers}")
    return "\n".join(lines)


def report_chat(out: dict) -> str:
    """Return the --chat figures as a short table."""
    c = out["config"]
    lines = [f"workers={c['workers']} threads={c['threads']} clients={c['clients']} seconds={c['seconds']} "
             f"LINE latency={c['latency_ms']} ms db={c['database']} cpus={c['cpus']}",
             "faq: residents asking the bot; chat: residents talking with staff (stored for staff, no reply)",
             f"{'':6} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6}"]
    for name in ("faq", "chat"):
        s = out[name]
        lines.append(f"{name:6} {s['rps']:8.1f} {s['p50_ms']:7.1f} {s['p95_ms']:7.1f} {s['p99_ms']:7.1f} "
                     f"{s['max_ms']:7.1f} {s['errors']:6d}")
    lines.append(f"chat / faq throughput = {out['ratio_chat_faq_rps']}; replies the bot sent in chat rounds: "
                 f"{out['chat']['bot_replies']} (must be 0)")
    for name in ("faq", "chat"):
        lines.append(f"{name} req/s by round: {out[name]['rps_by_round']}")
    problems = out["faq"].get("log_problems") or []
    lines.append(f"bot log: {len(problems)} warnings/errors" + "".join(f"\n  {p[:200]}" for p in problems[:5]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
