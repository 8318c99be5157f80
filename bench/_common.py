"""Shared benchmark helpers: gunicorn subprocesses, the fake LINE API, a signed-load driver, stats.

Everything here talks to 127.0.0.1 only, and every loop is bounded in count and in time.
"""
from __future__ import annotations

import http.client
import itertools
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from tests.support.linesign import body_of, sign

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
HOST = "127.0.0.1"

# What residents type, in their own words: the town's topics, a few out of scope, a little small talk.
QUESTIONS = (
    "給食費ってタダになるの？",
    "小学校の給食費は無料ですか",
    "中学生の給食代もかからないんですか",
    "きゅうしょくひ むりょう",
    "子どもが産まれたら何かもらえますか",
    "出産したらお祝いのギフトってある？",
    "出産応援ギフトの申請はどこでできますか",
    "子育て応援ギフトはいくらもらえるの",
    "妊婦健診の費用って助成してもらえますか",
    "エコー検査の補助はありますか",
    "産婦健診の費用は出ますか",
    "遠くの病院で出産するとき交通費の補助はある？",
    "出産のための通院の交通費を助けてほしい",
    "産後ケアを利用したいです",
    "産後に体調が悪くて育児を手伝ってほしい",
    "子どもの医療費は無料？",
    "高校生の医療費も助成されますか",
    "子供の病院代の補助について教えて",
    "応援団に登録したい",
    "星の降る里あしべつ応援団って何？",
    "市外に住んでるけど芦別を応援したい",
    "芦別に移住したいんですが支援はありますか",
    "Uターンで戻りたいけど仕事や住まいの相談はできる？",
    "コンビニで住民票とれる？",
    "印鑑証明をコンビニで取りたい",
    "住民票の写しをコンビニで出すにはマイナンバーカードがいる？",
    "書かない窓口ってなんですか",
    "オンラインで手続きできる窓口はありますか",
    "マイナンバーカードを作りたい",
    "マイナカードで何ができるの",
    "体育館の予約はネットでできますか",
    "公民館の使用料はキャッシュレスで払える？",
    "施設予約をスマホでしたい",
    "デジタルサイネージってどこにあるの",
    "母子手帳アプリはありますか",
    "母子手帳をスマホで見られるアプリ",
    "保育園のアプリで連絡できますか",
    "ゼロカーボンシティって何をするの",
    "芦別市の二酸化炭素の削減目標は？",
    "公共施設の照明はLEDになるの？",
    "市役所の電気をLEDに替える計画",
    "総合戦略の計画期間はいつまで？",
    "デジタル田園都市国家構想との関係は",
    "総合戦略の改訂はどんな会議で決めたの",
    "近くの町と一緒にやってる事業はある？",
    "ゴミの分別の仕方を教えて",
    "今日の天気は？",
    "除雪はいつ来ますか",
    "ありがとう",
    "こんにちは",
)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values, or 0 for none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))
    return ordered[rank]


# -- the fake LINE API, in its own process so its threads do not compete with the load driver's GIL --


def _fake_main(conn, latency: float) -> None:
    from tests.support.fakeline import FakeLine

    fake = FakeLine(latency=latency).start()
    conn.send(fake.url)
    while True:
        command = conn.recv()
        if command in ("summary", "bodies"):
            conn.send(_summarise(fake, with_bodies=command == "bodies"))
        elif command == "deliveries":
            conn.send(_deliveries(fake))
        elif command == "reset":
            fake.reset()
            conn.send("ok")
        elif command == "stop":
            fake.stop()
            conn.send("ok")
            return


def _summarise(fake, with_bodies: bool) -> dict:
    tokens: dict[str, int] = {}
    bodies: dict[str, str] = {}
    arrivals: dict[str, float] = {}
    with fake._lock:  # the recorder's own lock: requests keep arriving while we count
        recorded = list(fake.requests)
    for r in recorded:
        if r.path != "/v2/bot/message/reply" or not isinstance(r.body, dict):
            continue
        token = r.body.get("replyToken", "")
        tokens[token] = tokens.get(token, 0) + 1
        arrivals.setdefault(token, r.received_at)
        if with_bodies:
            bodies.setdefault(token, json.dumps(r.body.get("messages", []), ensure_ascii=False))
    return {
        "requests": len(recorded),
        "replies": sum(tokens.values()),
        "tokens": len(tokens),
        "duplicates": sum(n - 1 for n in tokens.values() if n > 1),
        "bodies": bodies,
        "arrivals": arrivals,
    }


_PUSHES = ("/v2/bot/message/multicast", "/v2/bot/message/push")


def _deliveries(fake) -> list[dict]:
    """Return every accepted multicast and push: its path, the bearer token, its recipients and its texts."""
    with fake._lock:
        recorded = [r for r in fake.requests if r.path in _PUSHES and r.status is not None and 200 <= r.status < 300]
    out = []
    for r in recorded:
        body = r.body if isinstance(r.body, dict) else {}
        to = body.get("to")
        out.append({"path": r.path, "token": r.headers.get("authorization", "").removeprefix("Bearer "),
                    "to": to if isinstance(to, list) else [to],
                    "text": json.dumps(body.get("messages", []), ensure_ascii=False)})
    return out


class FakeLineProcess:
    """Run tests.support.fakeline.FakeLine in a child process and ask it for reply counts."""

    def __init__(self, latency_ms: float = 50.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_fake_main, args=(child, latency_ms / 1000.0), daemon=True)
        self._proc.start()
        if not self._conn.poll(30):
            raise RuntimeError("the fake LINE server did not start")
        self.url: str = self._conn.recv()

    def _ask(self, command: str):
        self._conn.send(command)
        if not self._conn.poll(60):
            raise RuntimeError(f"the fake LINE server did not answer {command!r}")
        return self._conn.recv()

    def summary(self, with_bodies: bool = False) -> dict:
        """Return reply counts (replies, distinct tokens, duplicates) and maybe each token's messages."""
        return self._ask("bodies" if with_bodies else "summary")

    def deliveries(self) -> list[dict]:
        """Return every multicast and push LINE accepted: path, token, recipients, messages as JSON text."""
        return self._ask("deliveries")

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self._ask("reset")

    def stop(self) -> None:
        """Stop the server and its process."""
        try:
            self._ask("stop")
        finally:
            self._proc.join(5)
            if self._proc.is_alive():
                self._proc.kill()


# -- gunicorn subprocesses --------------------------------------------------------------------------


def service_env(database_url: str | None, line_url: str, **extra: str) -> dict[str, str]:
    """Return the environment the bot (or the echo bot) runs with in a benchmark."""
    env = dict(os.environ)
    env.update({
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_ENDPOINT": line_url,
        "LOG_HASH_KEY": "bench-hash-key",
        # Production refuses a SECRET_KEY shorter than 32 bytes (bot/config.py), as a real deployment would.
        "SECRET_KEY": "bench-secret-key-" + "0" * 32,
        "APP_ENV": "production",
        # Production refuses to start without its public address (bot/config.py check_public_base_url).
        "PUBLIC_BASE_URL": "https://bot.example.jp/",
        "GUNICORN_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    })
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run `flask --app app ARGS` in the repository and return its output."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


def private_postgres(stack) -> tuple[str, dict[str, str]]:
    """Start a private PostgreSQL cluster (fsync on) with a deployment's two roles (docs/operations.md, "Database
    roles"); return the application's URL (its role is bound by row-level security) and the setting migrations need
    (DATABASE_MIGRATION_URL: the tables' owner). The cluster stops when the ExitStack closes."""
    from tests.support.pgserver import PgServer, provision

    server = PgServer(durable=True)
    roles = provision(server.start())
    stack.callback(server.stop)
    return roles.app, {"DATABASE_MIGRATION_URL": roles.owner}


def prepare_database(env: dict[str, str], knowledge_dir: str | None = None) -> str:
    """Migrate the database (as its owner, when DATABASE_MIGRATION_URL is set, then grant the application's role its
    privileges) and import a knowledge pack; return the import report."""
    flask_cli(env, "db", "upgrade")
    if env.get("DATABASE_MIGRATION_URL"):
        from sqlalchemy.engine import make_url

        flask_cli(env, "db", "grant", make_url(env["DATABASE_URL"]).username)
    return flask_cli(env, "kb", "import", *([knowledge_dir] if knowledge_dir else []))


def sqlite_url(directory: str) -> str:
    """Return a SQLite URL for a fresh file in directory."""
    return f"sqlite:///{Path(directory) / 'bench.sqlite3'}"


@dataclass
class Gunicorn:
    """A gunicorn master started with the repository's gunicorn.conf.py on a free port."""

    app: str
    env: dict[str, str]
    workers: int = 2
    threads: int | None = None
    preload: bool = True
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    started_at: float = 0.0

    def start(self, wait: bool = True, timeout: float = 60) -> "Gunicorn":
        """Start the master; by default wait until /healthz answers."""
        env = dict(self.env, WEB_CONCURRENCY=str(self.workers), WEB_PRELOAD="1" if self.preload else "0",
                   GUNICORN_BIND=f"{HOST}:{self.port}")
        if self.threads:
            env["WEB_THREADS"] = str(self.threads)
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), self.app],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            self.wait_ready(timeout)
        return self

    @property
    def url(self) -> str:
        """Return the base URL of this instance."""
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 60) -> float:
        """Wait until /healthz answers 200 and every worker is up; return seconds since start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200 and len(self.worker_pids()) >= self.workers:
                        return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"gunicorn did not become ready in {timeout} s:\n{self.output()}")

    def output(self, limit: int = 4000) -> str:
        """Return the last `limit` characters gunicorn wrote so far."""
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-limit:]

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's worker processes."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def memory(self) -> dict:
        """Return RSS, PSS and private memory (MiB) of the master and of each worker."""
        return {"master": proc_memory(self.proc.pid),
                "workers": [proc_memory(pid) for pid in self.worker_pids()]}

    def stop(self) -> None:
        """Stop the master and its workers (SIGTERM, then SIGKILL after 10 s)."""
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def proc_memory(pid: int) -> dict:
    """Return rss, pss, shared and private (USS) memory of one process in MiB, from smaps_rollup."""
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return {"pid": pid}
    mib = lambda kb: round(kb / 1024, 1)  # noqa: E731
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    shared = fields.get("Shared_Clean", 0) + fields.get("Shared_Dirty", 0)
    return {"pid": pid, "rss": mib(fields.get("Rss", 0)), "pss": mib(fields.get("Pss", 0)),
            "shared": mib(shared), "private": mib(private)}


# -- the signed-load driver -------------------------------------------------------------------------


@dataclass
class Sample:
    """One webhook post as the client saw it."""

    started: float
    latency_ms: float
    status: int  # 0 when the request failed without an HTTP answer
    port: int
    token: str
    question: str
    sent_at: float = 0.0  # wall clock when the post started, to compare with the fake LINE's arrival times
    path: str = "/callback"


@dataclass
class LoadResult:
    """Everything one load run measured."""

    samples: list[Sample]
    seconds: float

    @property
    def ok(self) -> list[Sample]:
        """Return the samples answered 200."""
        return [s for s in self.samples if s.status == 200]

    def stats(self) -> dict:
        """Return requests/s, latency percentiles (ms) and the error count."""
        lat = [s.latency_ms for s in self.ok]
        return {
            "requests": len(self.samples),
            "ok": len(lat),
            "errors": len(self.samples) - len(lat),
            "rps": round(len(lat) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else 0.0,
        }


_run_ids = itertools.count(1)


def text_event(event_id: str, token: str, text: str, user: int) -> dict:
    """Return a text-message webhook event shaped like LINE's."""
    return {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{user:032x}"},
        "webhookEventId": event_id, "deliveryContext": {"isRedelivery": False}, "replyToken": token,
        "message": {"type": "text", "id": event_id[-18:], "quoteToken": "q", "text": text},
    }


def drive(ports: Sequence[int], *, clients: int, seconds: float, max_requests: int = 200_000,
          questions: Sequence[str] = QUESTIONS, midway: Callable[[], None] | None = None,
          timeout: float = 10.0, routes: Sequence[tuple[str, str]] | None = None, user_base: int = 0) -> LoadResult:
    """Post signed text webhooks from `clients` threads, round-robin over ports, for `seconds`.

    routes: (path, channel secret) pairs taken in turn, one per request (many towns' /<slug>/callback, each signed
    with its town's secret); left out: /callback signed with SECRET. user_base: the first of the 500 residents asking
    (webhook_load --chat puts residents who are talking with staff at another base)."""
    targets = list(routes) if routes else [("/callback", SECRET)]
    run = next(_run_ids)
    prefix = f"{os.getpid():x}{run:02x}{time.time_ns() & 0xFFFFFF:06x}"
    samples: list[Sample] = []
    lock = threading.Lock()
    counter = itertools.count()
    start = time.perf_counter()
    deadline = start + seconds

    def client(c: int) -> None:
        conns: dict[int, http.client.HTTPConnection] = {}
        mine: list[Sample] = []
        for j in itertools.count():
            n = next(counter)
            if n >= max_requests or time.perf_counter() >= deadline:
                break
            port = ports[(c + j) % len(ports)]
            event_id = f"01B{prefix}{n:012d}"
            token = f"bench-{prefix}-{n}"
            path, secret = targets[n % len(targets)]
            # Over many routes, each route still goes through every question in turn.
            question = questions[(n if len(targets) == 1 else n + n // len(targets)) % len(questions)]
            body = body_of([text_event(event_id, token, question, user_base + n % 500)])
            headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, secret)}
            t0 = time.perf_counter()
            sent_at = time.time()
            status = 0
            try:
                conn = conns.get(port) or http.client.HTTPConnection(HOST, port, timeout=timeout)
                conns[port] = conn
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conns.pop(port).close()
            except (OSError, http.client.HTTPException):
                bad = conns.pop(port, None)
                if bad:
                    bad.close()
            mine.append(Sample(t0 - start, (time.perf_counter() - t0) * 1000.0, status, port, token, question,
                               sent_at, path))
        for conn in conns.values():
            conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    if midway is not None:
        time.sleep(max(0.0, start + seconds / 2 - time.perf_counter()))
        midway()
    for t in threads:
        t.join(seconds + timeout + 5)
    elapsed = time.perf_counter() - start
    return LoadResult(sorted(samples, key=lambda s: s.started), elapsed)


def wait_for_replies(fake: FakeLineProcess, expected: int, timeout: float = 5.0,
                     tokens: set[str] | None = None) -> dict:
    """Return the fake's summary once it has seen `expected` replies, or every one of `tokens` (or time ran out)."""
    deadline = time.monotonic() + timeout

    def waiting(summary: dict) -> bool:
        # Counting is not enough when replies are sent after the webhook answered: a late reply from an
        # earlier run would make up for one of this run's that has not arrived yet.
        return not tokens.issubset(summary["arrivals"]) if tokens is not None else summary["replies"] < expected

    summary = fake.summary()
    while waiting(summary) and time.monotonic() < deadline:
        time.sleep(0.1)
        summary = fake.summary()
    return summary
