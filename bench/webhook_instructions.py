"""Count the CPU instructions one webhook costs, in process, under valgrind's callgrind.

Run ``python -m bench.webhook_instructions [--requests 300] [--root DIR] [--no-cache]``. It runs the app of the repository at
DIR (default: this one; a worktree of another commit compares releases) twice under callgrind: once with only the
warm-up (200 signed text webhooks through ``app.test_client()`` on SQLite with the bundled pack, replies to a fake
LINE API in a child process), once with --requests more. The difference divided by --requests is the instructions per
webhook: nearly the same count however busy the machine is (hash randomisation is fixed with PYTHONHASHSEED=0; the
reply sender's thread and caches that expire by the clock still move it by about 1 % between runs), so two commits can
be compared on a shared VM where req/s moves by ±10 % between runs. Needs valgrind (Debian: ``apt-get install valgrind``); each run takes minutes.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WARMUP = 200


def inner(root: str, requests: int) -> None:
    """Serve WARMUP + requests webhooks in this process (run under callgrind by outer())."""
    os.chdir(root)
    sys.path.insert(0, root)
    from bench._common import QUESTIONS, SECRET, FakeLineProcess, prepare_database, service_env, sqlite_url, \
        text_event

    fake = FakeLineProcess(latency_ms=0.0)
    env = service_env(sqlite_url(tempfile.mkdtemp(prefix="bench-instr-")), fake.url)
    if os.environ.get("BENCH_NO_CACHE"):
        env["DECISION_CACHE_SIZE"] = "0"  # every question tokenised, checked and matched
    prepare_database(env)
    os.environ.update(env)
    from app import app

    client = app.test_client()
    for i in range(WARMUP + requests):
        event = text_event(f"01H{i:023d}", f"tok{i}", QUESTIONS[i % len(QUESTIONS)], i % 200)
        raw = json.dumps({"destination": "Ubench", "events": [event]}).encode()
        signature = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        response = client.post("/callback", data=raw,
                               headers={"X-Line-Signature": signature, "Content-Type": "application/json"})
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}")
    try:
        fake.stop()
    finally:
        os._exit(0)  # no interpreter teardown counted


def callgrind_total(root: str, requests: int, no_cache: bool = False) -> int:
    """Return the instructions of one inner run under callgrind."""
    env = {**os.environ, "PYTHONHASHSEED": "0", **({"BENCH_NO_CACHE": "1"} if no_cache else {})}
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        # Run as a script from the measured tree, so that its own bench/_common.py migrates and serves its own app.
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                        str(Path(__file__).resolve()), "--inner", str(requests), "--root", root],
                       cwd=root, env=env, check=True, capture_output=True)
        match = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if not match:
            raise SystemExit("callgrind wrote no totals")
        return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent),
                        help="the repository (or worktree) whose app is measured")
    parser.add_argument("--no-cache", action="store_true",
                        help="DECISION_CACHE_SIZE=0: every question goes through the safety check and the matcher")
    parser.add_argument("--inner", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner is not None:
        inner(args.root, args.inner)
        return
    base = callgrind_total(args.root, 0, args.no_cache)
    loaded = callgrind_total(args.root, args.requests, args.no_cache)
    per = (loaded - base) / args.requests
    print(json.dumps({"root": args.root, "requests": args.requests, "no_cache": args.no_cache,
                      "warmup_instructions": base,
                      "instructions_per_webhook": round(per)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
