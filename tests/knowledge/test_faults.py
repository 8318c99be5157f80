"""Knowledge edits during traffic: no 500s, and every answer comes from one version, old or new."""
from __future__ import annotations

import copy
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bot.pack import Pack, read_pack
from bot.pack import import_pack
from tests.support import events
from tests.support.linesign import body_of
from tests.support.liveserver import LiveServer

REPLY = "/v2/bot/message/reply"
MARK = re.compile(r"\[版(\d+)\]")
QUESTIONS = ["給食費ってタダになるの？", "子どもが産まれたら何かもらえる？", "応援団に登録したい", "コンビニで住民票とれる？",
             "マイナンバーカードを作りたい", "産後ケアを使いたい", "母子手帳アプリはある？", "LED化の計画", "出産", "窓口"]
EDITS, CLIENTS = 4, 6


def _version(pack: Pack, n: int) -> Pack:
    """Return the pack with every title and answer stamped [版n], as if staff had rewritten them all."""
    entries = copy.deepcopy(pack.entries)
    for entry in entries:
        entry["title"] = f"[版{n}]" + entry["title"]
        entry["answer"] = f"[版{n}]" + entry["answer"]
    return Pack(entries=entries, synonyms=pack.synonyms)


def test_edits_during_traffic_switch_answers_atomically(loaded_app, fake_line):
    base = read_pack(loaded_app.config["KNOWLEDGE_DIR"])
    with loaded_app.app_context():
        import_pack(_version(base, 1))
    sent: dict[str, tuple[float, int]] = {}  # reply token -> (time the request started, status)
    committed: list[tuple[int, float]] = []  # (version, time its import had committed)
    stop = threading.Event()
    lock = threading.Lock()

    def client(c: int, server: LiveServer) -> None:
        for i in range(400):  # bounded; the editor stops us much sooner
            if stop.is_set():
                return
            event = events.text(QUESTIONS[(c + i) % len(QUESTIONS)])
            started = time.monotonic()
            status = server.post(body_of([event]))
            with lock:
                sent[event["replyToken"]] = (started, status)

    with LiveServer(loaded_app) as server:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(client, c, server) for c in range(CLIENTS)]
            for n in range(2, 2 + EDITS):
                time.sleep(0.4)
                with loaded_app.app_context():
                    report = import_pack(_version(base, n))
                assert report.updated, "the edit must change entries"
                committed.append((n, time.monotonic()))
            time.sleep(0.4)
            stop.set()
            for f in futures:
                f.result(timeout=60)
        last = events.text(QUESTIONS[0])
        sent[last["replyToken"]] = (time.monotonic(), server.post(body_of([last])))
        server.drain()

    statuses = {status for _, status in sent.values()}
    assert statuses == {200}, statuses  # no 500s (nor anything else) while the knowledge changes
    # Every question got its answer: a handler error swallowed behind a 200 would show up here.
    assert {c.body["replyToken"] for c in fake_line.calls(REPLY)} == set(sent)
    seen: dict[int, int] = {}
    for call in fake_line.calls(REPLY):
        token = call.body["replyToken"]
        versions = {int(v) for v in MARK.findall(str(call.body["messages"]))}
        if not versions:
            continue  # small talk or a fallback shows no entry
        assert len(versions) == 1, f"a reply mixes knowledge versions {versions}"
        version = versions.pop()
        seen[version] = seen.get(version, 0) + 1
        # A request that started after an edit committed must see that edit (or a later one).
        started = sent[token][0]
        newest = max((n for n, at in committed if at < started), default=1)
        assert version >= newest, f"request started after version {newest} committed but got {version}"
    assert sum(seen.values()) >= 12 and len(seen) >= 3, seen  # traffic really overlapped the edits
    final = next(c for c in fake_line.calls(REPLY) if c.body["replyToken"] == last["replyToken"])
    assert set(MARK.findall(str(final.body["messages"]))) == {str(1 + EDITS)}, "the last edit never took effect"
