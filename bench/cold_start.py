"""Measure cold start: from process start to the first answered webhook, and a fresh worker's first answer.

Run ``python -m bench.cold_start [--repeat 3] [--postgres] [--json]``. Three cases, each repeated:
  start            a new gunicorn master (preload + warm-up), timed until a signed question is answered;
  start-no-preload the same with WEB_PRELOAD=0: each worker loads the app and warms itself after fork;
  worker-respawn   a worker is killed (SIGKILL) and the master forks a new one from the warmed master;
                   timed from the kill until the new worker has answered;
  echo-bot-start   the echo bot's start, for scale: importing line-bot-sdk's models dominates both.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import tempfile
import time
from contextlib import ExitStack

from bench._common import HOST, SECRET, FakeLineProcess, Gunicorn, prepare_database, private_postgres, \
    service_env, sqlite_url, text_event
from tests.support.linesign import body_of, sign

BUDGET_S = 30.0


def answered_once(port: int, n: int) -> bool:
    """Post one signed question; True when it came back 200."""
    body = body_of([text_event(f"01COLD{os.getpid():x}{time.time_ns():x}{n}", f"cold-{n}", "給食費ってタダ？", n)])
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("POST", "/callback", body, {"Content-Type": "application/json",
                                                 "X-Line-Signature": sign(body, SECRET)})
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def until_answered(port: int, since: float, fake: FakeLineProcess) -> float:
    """Poll until a question is answered and its reply reached LINE; return seconds since `since`."""
    deadline = time.monotonic() + BUDGET_S
    before = fake.summary()["replies"]
    n = 0
    while time.monotonic() < deadline:
        n += 1
        if answered_once(port, n) and fake.summary()["replies"] > before:
            return time.perf_counter() - since
        time.sleep(0.01)
    raise RuntimeError(f"no answer within {BUDGET_S} s")


def cold(env: dict, fake: FakeLineProcess, preload: bool, app: str = "app:app") -> float:
    """Start gunicorn and time the first answered webhook."""
    server = Gunicorn(app, env, workers=2, preload=preload)
    server.start(wait=False)
    try:
        return until_answered(server.port, server.started_at, fake)
    finally:
        server.stop()


def respawn(env: dict, fake: FakeLineProcess) -> float:
    """Kill the only worker of a warmed master and time the replacement's first answer."""
    server = Gunicorn("app:app", env, workers=1).start()
    try:
        until_answered(server.port, time.perf_counter(), fake)
        old = server.worker_pids()[0]
        killed = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + BUDGET_S
        while old in server.worker_pids() or not server.worker_pids():
            if time.monotonic() > deadline:
                raise RuntimeError("the master did not replace its worker")
            time.sleep(0.005)
        return until_answered(server.port, killed, fake)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> dict:
    """Run each case and print min / median / max seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        fake = FakeLineProcess(50)
        stack.callback(fake.stop)
        extra: dict[str, str] = {}
        if args.postgres:
            url, extra = private_postgres(stack)
        else:
            url = sqlite_url(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-cold-")))
        env = service_env(url, fake.url, **extra)
        prepare_database(env)
        cases = {"start": lambda: cold(env, fake, True), "start-no-preload": lambda: cold(env, fake, False),
                 "worker-respawn": lambda: respawn(env, fake),
                 "echo-bot-start": lambda: cold(env, fake, True, "bench.echo_bot:app")}
        out = {}
        for name, run in cases.items():
            times = [run() for _ in range(args.repeat)]
            out[name] = {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
                         "max_s": round(max(times), 3)}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{'case':18} {'min s':>7} {'median s':>9} {'max s':>7}   (target <= 3 s; {args.repeat} runs each)")
        for name, r in out.items():
            print(f"{name:18} {r['min_s']:7.3f} {r['median_s']:9.3f} {r['max_s']:7.3f}")
    return out


if __name__ == "__main__":
    main()
