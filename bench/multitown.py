"""Many towns on one deployment: onboarding, webhook load spread over towns, memory, cold towns, notices.

Run ``python -m bench.multitown [--towns 200] [--load-towns 50] [--seconds 20] [--rounds 4]
[--town-secrets shared|own] [--cache-towns 64] [--quick] [--json]`` (PostgreSQL only: a private cluster with
``fsync`` on, or DATABASE_URL when it names an empty PostgreSQL database).

1. Every town gets its own pack, a variant of the bundled ``knowledge/`` written into a temporary directory
   (never into the repository): its own name in every text, its own web address and 担当課 phone number, a few
   entries removed and a few of its own added.
2. Onboarding, timed per town: ``create_town`` with the pack (what ``flask towns create --pack`` runs: the town,
   its channel and the whole pack import) and ``create_first_admin`` (the operator's first admin); then a few more
   towns (``--cli-towns``) with the commands an operator runs, ``flask towns create --pack`` and ``flask users
   create --town``, interpreter start-ups included.
3. One gunicorn (``gunicorn.conf.py``, DEFAULT_TOWN empty: every door under its town's prefix) takes signed
   webhooks at ``/<slug>/callback``: rounds alternate between all traffic to one town and traffic spread
   round-robin over ``--load-towns`` towns, so the ratio compares the two in the same run.
4. A cold town's first question (its index is built in the request), one at a time.
5. Memory per worker once every worker's town LRU (TOWN_CACHE_TOWNS) is full.
6. Two towns' notices delivered at once (two ``flask notices send-due --town`` processes): every follower of each
   town gets its own town's notice exactly once, and no multicast carries another town's notice or recipient.

``--town-secrets shared`` (default) stores every town with the app's channel secret and token and signs every
webhook with it: what works before towns have channels of their own. ``--town-secrets own`` gives each town its own
secret and token and signs each town's webhooks with its own secret; it is only meaningful once the webhook and the
senders use the town's channel (the h-line work): before that the webhooks are refused (400) and counted as errors.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from bench._common import (QUESTIONS, ROOT, SECRET, TOKEN, FakeLineProcess, Gunicorn, LoadResult, drive, flask_cli,
                           percentile, private_postgres, service_env, wait_for_replies)

# Fictional town names: a direction or size and a landscape word (10 × 20 = 200 different names).
_FIRSTS = ("北", "南", "東", "西", "上", "下", "新", "本", "大", "小")
_SECONDS = ("星野", "川端", "桜井", "雪原", "森山", "青葉", "白樺", "緑丘", "朝日", "若葉",
            "泉沢", "光野", "栄浜", "旭岡", "豊里", "幸穂", "鈴蘭", "湖畔", "花園", "石狩野")
PLATFORM_FILES = {"safety.yaml", "synonyms.yaml"}  # the platform's, the same for every town: never varied
# Entries a town adds to its pack: its own topics, in its residents' words.
_LOCAL_TOPICS = (
    ("garbage-days", "ごみの収集日", ["ごみの収集日はいつですか", "燃えるごみは何曜日", "ごみ出しの日を知りたい",
                                    "資源ごみの日はいつ", "粗大ごみはどう出すの", "ごみカレンダーがほしい"],
     ["ごみ", "収集日", "燃えるごみ"]),
    ("library-hours", "図書館の開館時間", ["図書館は何時まで開いていますか", "図書館の休館日は", "本を借りたい",
                                        "図書館は日曜もやってる？", "図書館の貸出カードを作りたい", "本の返却ポストはどこ"],
     ["図書館", "開館時間", "休館日"]),
    ("snow-removal", "除雪の出動基準", ["除雪車はいつ来ますか", "雪かきしてくれるの", "除雪の基準は",
                                      "家の前に雪を置いていかれた", "除雪は何センチ積もったら", "高齢者の雪下ろしの支援"],
     ["除雪", "除雪車", "雪"]),
    ("community-bus", "町内バスの時刻", ["バスの時刻表がほしい", "町内バスは何時に来る", "バス停はどこ",
                                       "バスの運賃はいくら", "病院に行くバスはある？", "土日もバスは走ってる？"],
     ["バス", "時刻表", "バス停"]),
    ("hot-spring", "町営温泉の料金", ["温泉の入浴料はいくら", "町営温泉は何時まで", "温泉の回数券",
                                    "温泉の定休日は", "子どもの入浴料は", "温泉に食堂はある？"],
     ["温泉", "入浴料", "回数券"]),
)


def town_name(n: int) -> str:
    """Return the n-th fictional town's name (n from 1)."""
    i = n - 1
    return f"{_FIRSTS[i % len(_FIRSTS)]}{_SECONDS[(i // len(_FIRSTS)) % len(_SECONDS)]}町"


def town_slug(n: int) -> str:
    """Return the n-th town's slug."""
    return f"town{n:03d}"


def town_phone(n: int) -> str:
    """Return the n-th town's 担当課 phone number (10 digits, a fictional exchange)."""
    return f"0{120 + n % 60}-{20 + n % 70:02d}-{n:04d}"


def _entry_files(root: Path) -> list[Path]:
    return [p for p in sorted(root.glob("*.yaml")) if p.name not in PLATFORM_FILES | {
        "categories.yaml", "offices.yaml", "shelters.yaml", "richmenu.yaml"}]


def town_pack(n: int, directory: Path) -> Path:
    """Write the n-th town's pack into directory/townNNN (from the bundled pack) and return its path.

    Its name replaces 芦別市/芦別 in every town file, its web address the city's, an office with its own phone
    number answers for a few entries, n % 4 entries are removed and n % 3 + 1 of its own are added."""
    name, slug = town_name(n), town_slug(n)
    stem = name[:-1]
    target = directory / slug
    shutil.copytree(ROOT / "knowledge", target)
    for path in [*target.glob("*.yaml"), *target.glob("forms/*.yaml")]:
        if path.name in PLATFORM_FILES:
            continue
        text = path.read_text(encoding="utf-8")
        text = text.replace("芦別市", name).replace("芦別", stem).replace("市役所", "役場")
        text = text.replace("www.city.ashibetsu.hokkaido.jp", f"www.{slug}.example.jp")
        path.write_text(text, encoding="utf-8")
    rng = random.Random(n)
    entries = _entry_files(target)
    for path in rng.sample(entries, n % 4):
        path.unlink()
    entries = _entry_files(target)
    offices = [{"key": "somu", "name": "総務課", "phone": town_phone(n), "hours": "平日 8:45〜17:15", "email": "",
                "url": "", "place": f"{name}役場 1階", "source": "ベンチマーク用の架空の町",
                "review_note": "ベンチマーク用の架空の担当課です。"}]
    (target / "offices.yaml").write_text(yaml.safe_dump(offices, allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    for path in entries[:3]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["office"] = "somu"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    base = yaml.safe_load(entries[0].read_text(encoding="utf-8"))
    for key, title, questions, keywords in rng.sample(_LOCAL_TOPICS, n % 3 + 1):
        entry = dict(base, slug=f"local-{key}", title=f"{name}の{title}", questions=questions, keywords=keywords,
                     answer=f"{name}の{title}は、{name}役場のホームページでご確認ください"
                            "（ベンチマーク用の架空の回答です）。")
        entry.pop("office", None)
        (target / f"local-{key}.yaml").write_text(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False),
                                                 encoding="utf-8")
    return target


def channel_of(n: int, mode: str) -> tuple[str, str]:
    """Return (channel secret, access token) the n-th town is stored with."""
    return (SECRET, TOKEN) if mode == "shared" else (f"bench-secret-{town_slug(n)}", f"bench-token-{town_slug(n)}")


# -- onboarding, in this process (the work of `flask towns create --pack` and the first admin, without the
#    interpreter start-up each command pays) ------------------------------------------------------------------


def _app(url: str, env: dict[str, str]):
    from bot import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TOWN_SECRETS_KEY": env["TOWN_SECRETS_KEY"],
                       "SECRET_KEY": env["SECRET_KEY"], "DEFAULT_TOWN": "",
                       "KNOWLEDGE_DIR": str(ROOT / "knowledge")})


def onboard(app, packs: list[Path], mode: str) -> list[dict]:
    """Create every town from its pack, with its first admin; return each one's timings (seconds)."""
    from bot.extensions import db
    from bot.towns.store import create_first_admin, create_town

    timings = []
    with app.app_context():
        for n, pack in enumerate(packs, start=1):
            secret, token = channel_of(n, mode)
            t0 = time.perf_counter()
            create_town(town_slug(n), town_name(n), actor="bench@example.invalid", pack_dir=str(pack),
                        channel_secret=secret, access_token=token)
            t1 = time.perf_counter()
            create_first_admin(town_slug(n), f"admin@{town_slug(n)}.example.jp", actor="bench@example.invalid")
            t2 = time.perf_counter()
            timings.append({"create_and_import": t1 - t0, "first_admin": t2 - t1, "total": t2 - t0})
            db.session.remove()
    return timings


def onboard_by_cli(env: dict[str, str], numbers: list[int], directory: Path, mode: str) -> list[float]:
    """Onboard towns as an operator does, one command after another: `towns create --pack`, then `users create
    --town --role admin --generate`; return each town's wall time (seconds, interpreter start-ups included)."""
    times = []
    for n in numbers:
        pack = town_pack(n, directory)
        secret, token = channel_of(n, mode)
        t0 = time.perf_counter()
        flask_cli(env, "towns", "create", town_slug(n), "--name", town_name(n), "--pack", str(pack),
                  "--line-channel-secret", secret, "--line-access-token", token)
        flask_cli(env, "users", "create", f"admin@{town_slug(n)}.example.jp", "--role", "admin", "--generate",
                  "--town", town_slug(n))
        times.append(time.perf_counter() - t0)
    return times


def add_followers(app, towns: list[int], count: int) -> dict[int, set[str]]:
    """Give each town `count` followers of its own (ids that no other town has); return every town's active ids."""
    from sqlalchemy import insert, select

    from bot.core.tenancy import use_town
    from bot.extensions import db
    from bot.models import Follower, utcnow

    expected: dict[int, set[str]] = {}
    with app.app_context():
        for n in towns:
            with use_town(_town_id(n)):
                now = utcnow()
                db.session.execute(insert(Follower), [
                    {"line_user_id": f"U{n:08x}{i:024x}", "status": "active", "first_seen": now, "last_seen": now}
                    for i in range(count)])
                db.session.commit()
                expected[n] = set(db.session.scalars(select(Follower.line_user_id).where(
                    Follower.status == "active", Follower.simulated.is_(False))))
        db.session.remove()
    return expected


_TOWN_IDS: dict[int, int] = {}


def _town_id(n: int) -> int:
    return _TOWN_IDS[n]


def _remember_town_ids(app) -> None:
    from sqlalchemy import select

    from bot.extensions import db
    from bot.models.tenancy import Tenant

    with app.app_context():
        for town_id, slug in db.session.execute(select(Tenant.id, Tenant.slug)):
            if re.fullmatch(r"town\d{3}", slug):
                _TOWN_IDS[int(slug[4:])] = town_id
        db.session.remove()


# -- load ----------------------------------------------------------------------------------------------------


def routes(towns: list[int], mode: str) -> list[tuple[str, str]]:
    """Return (webhook path, signing secret) for each town."""
    return [(f"/{town_slug(n)}/callback", channel_of(n, mode)[0]) for n in towns]


def load_rounds(server: Gunicorn, fake: FakeLineProcess, args, single: list, spread: list) -> dict:
    """Alternate rounds of one town's traffic and traffic spread over many towns; pool each kind's figures."""
    kinds = {"one_town": single, f"{len(spread)}_towns": spread}
    rounds: dict[str, list[tuple[LoadResult, dict]]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind, targets in kinds.items():
            fake.reset()
            result = drive([server.port], clients=args.clients, seconds=args.seconds / args.rounds,
                           routes=targets)
            replies = wait_for_replies(fake, len(result.ok), tokens={s.token for s in result.ok})
            rounds[kind].append((result, replies))
    out = {}
    for kind, done in rounds.items():
        merged = LoadResult([s for r, _ in done for s in r.samples], sum(r.seconds for r, _ in done))
        stats = merged.stats()
        arrivals = {t: a for _, rep in done for t, a in rep["arrivals"].items()}
        waits = [(arrivals[s.token] - s.sent_at) * 1000.0 for s in merged.ok if s.token in arrivals]
        stats.update(rps_by_round=[r.stats()["rps"] for r, _ in done],
                     reply_p99_ms=round(percentile(waits, 99), 1),
                     duplicate_replies=sum(rep["duplicates"] for _, rep in done),
                     missing_replies=max(0, stats["ok"] - len(arrivals)),
                     statuses=dict(Counter(str(s.status) for s in merged.samples)))
        out[kind] = stats
    return out


# Asked of one town at a time; not one of the load's questions, so no town has its decision cached.
FIRST_QUESTION = "学校の給食代って今も払うの？"


def first_questions(server: Gunicorn, fake: FakeLineProcess, towns: list[int], mode: str) -> dict:
    """Ask each cold town one question, one town at a time; return the webhook latencies (ms) and replies."""
    fake.reset()
    samples = []
    for n in towns:
        result = drive([server.port], clients=1, seconds=30, max_requests=1, routes=routes([n], mode),
                       questions=(FIRST_QUESTION,))
        samples.extend(result.samples)
    replies = wait_for_replies(fake, len(samples), tokens={s.token for s in samples if s.status == 200})
    lat = [s.latency_ms for s in samples if s.status == 200]
    return {"towns": len(towns), "ok": len(lat), "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1), "max_ms": round(max(lat), 1) if lat else 0.0,
            "replies": replies["replies"]}


def fill_caches(server: Gunicorn, towns: list[int], mode: str, per_town: int) -> LoadResult:
    """Ask each town `per_town` questions on fresh connections, town after town, so every worker's LRU ends
    holding the last TOWN_CACHE_TOWNS of them."""
    samples, seconds = [], 0.0
    for n in towns:
        result = drive([server.port], clients=per_town, seconds=60, max_requests=per_town, routes=routes([n], mode))
        samples += result.samples
        seconds += result.seconds
    return LoadResult(samples, seconds)


def index_builds(server: Gunicorn) -> int:
    """Count the knowledge indexes the workers built (each logs one line)."""
    return server.output(50_000_000).count("knowledge index built")


# -- notices -------------------------------------------------------------------------------------------------


def notices_at_once(env: dict[str, str], fake: FakeLineProcess, towns: list[int],
                    expected: dict[int, set[str]], mode: str) -> dict:
    """Create one notice in each town, deliver both at the same time, and check who got what."""
    env = dict(env, NOTICE_APPROVAL_REQUIRED="false", NOTICE_QUIET_HOURS="")
    marks = {n: f"【{town_name(n)}からのお知らせ {town_slug(n)}】" for n in towns}
    for n in towns:
        flask_cli(env, "notices", "create", "--town", town_slug(n), "--title", marks[n],
                  "--text", f"{town_name(n)}の皆さまへ：ベンチマークの一斉配信です。")
    fake.reset()
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "notices", "send-due", "--town",
                               town_slug(n)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for n in towns]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    seconds = time.perf_counter() - started
    calls = fake.deliveries()
    got: dict[int, Counter] = {n: Counter() for n in towns}
    crossed = unknown = 0
    tokens: dict[int, Counter] = {n: Counter() for n in towns}
    for call in calls:
        owners = [n for n in towns if marks[n] in call["text"]]
        if len(owners) != 1:
            unknown += 1
            continue
        n = owners[0]
        tokens[n][call["token"]] += 1
        for user in call["to"]:
            got[n][user] += 1
            if user not in expected[n]:
                crossed += 1
    out = {"seconds": round(seconds, 2), "calls": len(calls), "unrecognised_calls": unknown,
           "recipients_not_of_the_town": crossed, "exit_codes": [p.returncode for p in procs], "towns": {}}
    for n in towns:
        out["towns"][town_slug(n)] = {
            "followers": len(expected[n]), "delivered": sum(got[n].values()), "distinct": len(got[n]),
            "missing": len(expected[n] - set(got[n])), "duplicates": sum(c - 1 for c in got[n].values() if c > 1),
            "tokens_used": len(tokens[n]),
            "own_token_only": set(tokens[n]) == {channel_of(n, mode)[1]}}
    # With shared secrets every town sends with the same token: the message and the recipients tell the towns
    # apart. With their own, each town's notice must also go out with its own token only.
    out["exactly_once_no_crossing"] = (not crossed and not unknown and all(
        t["missing"] == 0 and t["duplicates"] == 0 and (mode == "shared" or t["own_token_only"])
        for t in out["towns"].values()))
    if not out["exactly_once_no_crossing"] or any(out["exit_codes"]):
        out["send_due_output"] = [o[-1500:] for o in outputs]
    return out


# -- the run -------------------------------------------------------------------------------------------------


def summary_ms(values: list[float]) -> dict:
    ms = [v * 1000.0 for v in values]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1) if ms else 0.0,
            "p95_ms": round(percentile(ms, 95), 1), "max_ms": round(max(ms), 1) if ms else 0.0}


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towns", type=int, default=200, help="towns onboarded, each from its own pack")
    parser.add_argument("--load-towns", type=int, default=50, help="towns the spread traffic goes to")
    parser.add_argument("--cold-towns", type=int, default=20, help="towns never asked before, asked once each")
    parser.add_argument("--cache-towns", type=int, default=64, help="TOWN_CACHE_TOWNS of the workers")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of load for each kind of traffic")
    parser.add_argument("--rounds", type=int, default=4, help="alternating one-town / many-town rounds")
    parser.add_argument("--warm-asks", type=int, default=2,
                        help="how often the warm-up asks each loaded town each question (a worker whose decision "
                             "cache has not seen a town's question yet matches it: (1/2)^N of them per worker)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the fake LINE API's answer latency")
    parser.add_argument("--followers", type=int, default=2000, help="followers of each of the two notice towns")
    parser.add_argument("--cli-towns", type=int, default=3, help="towns onboarded with `flask` commands, timed")
    parser.add_argument("--town-secrets", choices=("shared", "own"), default="shared")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 6 towns, 3 loaded, short rounds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.towns, args.load_towns, args.cold_towns, args.cache_towns = 6, 3, 2, 3
        args.seconds, args.rounds, args.clients, args.followers, args.cli_towns = 2.0, 1, 8, 50, 1
    if args.load_towns + args.cold_towns > args.towns or args.load_towns < 2:
        parser.error("--load-towns (at least 2) and --cold-towns must fit in --towns")
    from cryptography.fernet import Fernet

    keys = ("towns", "load_towns", "cold_towns", "cache_towns", "workers", "clients", "seconds", "rounds", "warm_asks",
            "latency_ms", "followers", "cli_towns", "town_secrets", "quick")
    out: dict = {"config": {k: getattr(args, k) for k in keys}}
    with ExitStack() as stack:
        fake = FakeLineProcess(args.latency_ms)
        stack.callback(fake.stop)
        # The tables' owner migrates; the app (gunicorn, the commands, the in-process onboarding) runs as a role
        # that row-level security binds, as a deployment does (production refuses a superuser).
        url, extra = private_postgres(stack)
        env = service_env(url, fake.url, TOWN_SECRETS_KEY=Fernet.generate_key().decode(), DEFAULT_TOWN="",
                          TOWN_CACHE_TOWNS=str(args.cache_towns), **extra)
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "db", "grant", make_url(url).username)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-towns-")))

        t0 = time.perf_counter()
        packs = [town_pack(n, tmp) for n in range(1, args.towns + 1)]
        out["packs"] = {"seconds": round(time.perf_counter() - t0, 2),
                        "entries": summary_counts([len(_entry_files(p)) for p in packs])}
        app = _app(url, env)
        t0 = time.perf_counter()
        timings = onboard(app, packs, args.town_secrets)
        out["onboarding"] = {"towns": len(timings), "wall_s": round(time.perf_counter() - t0, 1),
                             **{k: summary_ms([t[k] for t in timings])
                                for k in ("total", "create_and_import", "first_admin")}}
        # A few more towns the way an operator onboards them, from the command line (not loaded below).
        cli = onboard_by_cli(env, list(range(args.towns + 1, args.towns + 1 + args.cli_towns)), tmp,
                             args.town_secrets)
        out["onboarding_cli"] = summary_ms(cli)
        _remember_town_ids(app)

        loaded = list(range(1, args.load_towns + 1))
        cold = list(range(args.load_towns + 1, args.load_towns + args.cold_towns + 1))
        server = Gunicorn("app:app", env, workers=args.workers).start()
        stack.callback(server.stop)
        out["memory_mib"] = {"started": server.memory()}
        # Warm-up: every loaded town's index in every worker and every question --warm-asks times per town (each
        # town's decision cache is its own, in each worker), so the rounds compare steady states.
        warm = drive([server.port], clients=args.clients, seconds=1800,
                     max_requests=args.warm_asks * len(QUESTIONS) * len(loaded),
                     routes=routes(loaded, args.town_secrets))
        out["warm_up"] = {"requests": len(warm.samples), "seconds": round(warm.seconds, 1),
                          "index_builds": index_builds(server)}
        out["load"] = load_rounds(server, fake, args, routes(loaded[:1], args.town_secrets),
                                  routes(loaded, args.town_secrets))
        one, many = out["load"]["one_town"], out["load"][f"{len(loaded)}_towns"]
        out["load"]["ratio_many_to_one"] = round(many["rps"] / one["rps"], 3) if one["rps"] else 0.0
        # Round by round (each many-town round right after its one-town round): a neighbour's busy spell on a
        # shared machine moves whole rounds, so the median of the pairs says more than the pooled figure.
        pairs = [m / o for o, m in zip(one["rps_by_round"], many["rps_by_round"]) if o]
        out["load"]["ratio_by_round"] = [round(r, 3) for r in pairs]
        out["load"]["ratio_median_of_rounds"] = round(statistics.median(pairs), 3) if pairs else 0.0
        out["memory_mib"]["after_load"] = server.memory()

        # As many loaded towns (held by every worker), one at a time, with the same question: what a question
        # costs once the town is held, to compare with a cold town's first.
        out["warm_town_question"] = first_questions(server, fake, loaded[:len(cold)], args.town_secrets)
        builds = index_builds(server)
        out["cold_town_first_question"] = first_questions(server, fake, cold, args.town_secrets)
        out["cold_town_first_question"]["index_builds"] = index_builds(server) - builds

        # Fill every worker's LRU: the last --cache-towns towns asked, each asked on fresh connections.
        fill = [n for n in range(1, args.towns + 1) if n not in cold][-(args.cache_towns + 2):]
        result = fill_caches(server, fill, args.town_secrets, per_town=8)
        out["memory_mib"]["lru_full"] = server.memory()
        out["memory_mib"]["lru_full_towns"] = args.cache_towns
        out["memory_mib"]["fill_requests"] = dict(result.stats())
        out["index_builds_total"] = index_builds(server)
        server.stop()
        log = server.output(50_000_000)
        out["log_problems"] = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line][:20]

        notice_towns = loaded[:2]
        expected = add_followers(app, notice_towns, args.followers)
        out["notices"] = notices_at_once(env, fake, notice_towns, expected, args.town_secrets)
        with app.app_context():
            from bot.extensions import db

            db.session.remove()
            db.engine.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else report(out))
    return out


def summary_counts(values: list[int]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)} if values else {}


def _mem(memory: dict) -> str:
    workers = memory.get("workers", [])
    if not workers:
        return "-"
    return ", ".join(f"RSS {w.get('rss')} / PSS {w.get('pss')} / private {w.get('private')}" for w in workers)


def report(out: dict) -> str:
    """Return the figures as text."""
    c, o = out["config"], out["onboarding"]
    lines = [f"{c['towns']} towns (packs: {out['packs']['entries']} entries each, written in "
             f"{out['packs']['seconds']} s), town secrets: {c['town_secrets']}, {c['workers']} workers, "
             f"TOWN_CACHE_TOWNS={c['cache_towns']}, one PostgreSQL",
             f"onboarding (create + pack import + first admin), per town: median {o['total']['median_ms']} ms, "
             f"p95 {o['total']['p95_ms']} ms, max {o['total']['max_ms']} ms (create+import median "
             f"{o['create_and_import']['median_ms']} ms, first admin {o['first_admin']['median_ms']} ms); "
             f"{o['towns']} towns in {o['wall_s']} s",
             f"onboarding with the commands (towns create --pack, users create --town), per town: median "
             f"{out['onboarding_cli']['median_ms']} ms, max {out['onboarding_cli']['max_ms']} ms "
             f"({out['onboarding_cli']['n']} towns)",
             f"warm-up: {out['warm_up']['requests']} requests in {out['warm_up']['seconds']} s, "
             f"{out['warm_up']['index_builds']} index builds"]
    for kind, s in out["load"].items():
        if isinstance(s, dict) and "rps" in s:
            lines.append(f"{kind}: {s['rps']} req/s (rounds {s['rps_by_round']}), webhook p50 {s['p50_ms']} ms, "
                         f"p99 {s['p99_ms']} ms, reply p99 {s['reply_p99_ms']} ms, errors {s['errors']} "
                         f"{s['statuses']}, duplicates {s['duplicate_replies']}, missing {s['missing_replies']}")
    lines.append(f"many towns / one town: {out['load']['ratio_many_to_one']} (target >= 0.9); round by round "
                 f"{out['load']['ratio_by_round']}, median {out['load']['ratio_median_of_rounds']}")
    if out["load"]["one_town"]["statuses"].get("400") and c["town_secrets"] == "own":
        lines.append("  webhooks signed with each town's own secret were refused (400): this build verifies every "
                     "webhook with LINE_CHANNEL_SECRET (per-town secrets are not in it)")
    cq = out["cold_town_first_question"]
    lines.append(f"cold town, first question ({cq['towns']} towns, one at a time): p50 {cq['p50_ms']} ms, "
                 f"p95 {cq['p95_ms']} ms, max {cq['max_ms']} ms; {cq['index_builds']} index builds")
    wq = out["warm_town_question"]
    lines.append(f"  a town every worker holds, the same question, one at a time ({wq['towns']} towns): "
                 f"p50 {wq['p50_ms']} ms, p95 {wq['p95_ms']} ms")
    m = out["memory_mib"]
    lines.append(f"memory per worker (MiB) at start: {_mem(m['started'])}")
    lines.append(f"  after the load ({c['load_towns']} towns cached): {_mem(m['after_load'])}")
    lines.append(f"  LRU full ({m['lru_full_towns']} towns): {_mem(m['lru_full'])}")
    n = out["notices"]
    lines.append(f"notices, two towns at once: {n['calls']} multicast calls in {n['seconds']} s; "
                 + "; ".join(f"{slug}: {t['followers']} followers, {t['distinct']} reached, missing {t['missing']}, "
                             f"duplicates {t['duplicates']}, own token only {t['own_token_only']}"
                             for slug, t in n["towns"].items())
                 + f"; recipients of another town {n['recipients_not_of_the_town']}")
    lines.append("each exactly once, none crossing: " + ("YES" if n["exactly_once_no_crossing"] else "NO"))
    if out["log_problems"]:
        lines.append("log problems: " + " | ".join(out["log_problems"][:5]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
