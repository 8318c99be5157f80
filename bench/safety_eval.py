"""Run the safety phrasings (tests/safety/phrasings/) against the webhook, black-box, and score the replies.

Run ``python -m bench.safety_eval --half tune|held|held2|both|dev|fresh|fresh2|…|fresh11 [--failures] [--category NAME]``
(``--failures`` prints nothing of the sets never tuned on: held, held2, fresh12 and fresh13).

The app is built on a temporary SQLite file with the bundled knowledge pack and a fake LINE API
(tests/support/fakeline.py). Each phrasing is posted as a signed webhook text event from its own resident, and the
reply the fake LINE received is read back. Nothing about the detector is assumed: only the numbers the reply
carries count, as `tel:` actions or in its text.

- An urgent phrasing is *caught* when its reply carries one of the numbers its file expects.
- A look-alike *misfires* when its reply carries any emergency or crisis number (EMERGENCY_NUMBERS).

See tests/safety/phrasings/README.md for the files, the expectations and the bars.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import unquote

from bot.core.tenancy import use_town
from bot.models.tenancy import DEFAULT_TOWN_ID
import yaml

ROOT = Path(__file__).resolve().parent.parent
PHRASINGS = ROOT / "tests" / "safety" / "phrasings"
SECRET = "safety-eval-channel-secret"
TOKEN = "safety-eval-access-token"
REPLY = "/v2/bot/message/reply"

# The crisis lines issue 18 names (nationwide; numbers as their operators publish them):
#   こころの健康相談統一ダイヤル 0570-064-556 (厚生労働省), よりそいホットライン 0120-279-338 (社会的包摂サポートセンター),
#   いのちの電話 0570-783-556 (ナビダイヤル) and 0120-783-556 (フリーダイヤル) (日本いのちの電話連盟).
CRISIS_LINES = ("0570064556", "0120279338", "0570783556", "0120783556")
# Other nationwide lines a reply may carry; a look-alike that gets one of them has misfired just the same.
#   #いのちSOS 0120-061-338, チャイルドライン 0120-99-7777, 24時間子供SOSダイヤル 0120-0-78310,
#   DV相談＋ 0120-279-889, 中毒110番 072-727-2499 (大阪) / 029-852-9999 (つくば), タバコ誤飲 072-726-9922,
#   #7119 (救急安心センター, where it exists).
OTHER_LINES = ("0120061338", "0120997777", "0120078310", "0120279889", "0727272499", "0298529999", "0727269922",
               "#7119")
EMERGENCY_NUMBERS = frozenset(("119", "110", "189", "#8000", "#8008") + CRISIS_LINES + OTHER_LINES)

_SHORT = re.compile(r"(?<![0-9０-９.\-])(110|119|189)(?![0-9\-.,]|[件人円万千年月日歳才名回個%％台本枚軒kKmg])")
_HASH = re.compile(r"#\s?(8000|8008|7119)(?![0-9])")
_LONG = re.compile(r"(?<![0-9])0\d{2,4}-?\d{1,4}-?\d{3,5}(?![0-9])")


@dataclass
class Case:
    """One phrasing: its category, its half, and the numbers that count as a right answer (empty: a look-alike)."""

    category: str
    half: str
    text: str
    expect: frozenset[str]

    @property
    def lookalike(self) -> bool:
        """Return True for a message that must not get an emergency number."""
        return not self.expect


@dataclass
class Result:
    """What the bot replied to one case."""

    case: Case
    numbers: frozenset[str]
    reply: str = field(repr=False, default="")

    @property
    def ok(self) -> bool:
        """Caught (urgent) or left alone (look-alike)."""
        if self.case.lookalike:
            return not (self.numbers & EMERGENCY_NUMBERS)
        return bool(self.numbers & self.case.expect)


def canonical(number: str) -> str:
    """Return a number as compared here: NFKC, no hyphens or spaces, '#8000' keeps its '#'."""
    return re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", number))


def _expectation(spec: dict) -> frozenset[str]:
    if spec.get("expect") in (None, "none"):
        values = spec.get("expect_any") or []
    else:
        values = [spec["expect"]] + list(spec.get("expect_any") or [])
    return frozenset(canonical(str(v)) for v in values)


# The halves nobody tunes on: their misses are never printed, so that nobody tunes on them by accident.
HELD = frozenset({"held", "held2", "fresh12", "fresh13"})  # never tuned on: --failures prints none of them


def halves_on_disk(directory: Path = PHRASINGS) -> tuple[str, ...]:
    """Return every set's name (tune, held, held2, dev, fresh…), from the files' suffixes."""
    return tuple(sorted({p.name.split(".")[-2] for p in directory.glob("*.*.yaml")}))


def load(half: str, categories: Iterable[str] | None = None, directory: Path = PHRASINGS) -> list[Case]:
    """Return the cases of one half ('tune', 'held' or the extra 'dev' set), file by file in name order."""
    wanted = set(categories or ())
    cases: list[Case] = []
    for path in sorted(directory.glob(f"*.{half}.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        category = spec["category"]
        if wanted and category not in wanted:
            continue
        default = _expectation(spec)
        for item in spec["phrasings"]:
            if isinstance(item, dict):  # {text: ..., expect: ...} overrides the file's expectation
                cases.append(Case(category, half, item["text"], _expectation(item)))
            else:
                cases.append(Case(category, half, str(item), default))
    return cases


def numbers_in(messages: Sequence[dict]) -> frozenset[str]:
    """Return the emergency-style numbers a reply carries: every tel: URI, and numbers written in its text."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and value.startswith("tel:"):
                    found.add(canonical(unquote(value[4:])))
                elif key == "data" or key.lower().endswith(("uri", "url")):
                    continue  # postback data and web links are not read by the resident as numbers
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            text = unicodedata.normalize("NFKC", node)
            found.update(m.group(1) for m in _SHORT.finditer(text))
            found.update("#" + m.group(1) for m in _HASH.finditer(text))
            found.update(canonical(m.group(0)) for m in _LONG.finditer(text))

    walk(list(messages))
    return frozenset(found)


class Bot:
    """The app on a temporary SQLite with the bundled pack, a fake LINE API, and a signed-webhook poster."""

    def __init__(self, knowledge_dir: Path = ROOT / "knowledge", sqlite_template: Path | None = None) -> None:
        from flask_migrate import upgrade

        from bot import create_app
        from bot.extensions import db
        from bot.pack import read_pack
        from bot.pack import import_pack
        from tests.support.fakeline import FakeLine

        self._dir = Path(tempfile.mkdtemp(prefix="safety-eval-"))
        self.fake = FakeLine().start()
        path = self._dir / "bot.sqlite3"
        if sqlite_template is not None:
            shutil.copy(sqlite_template, path)
        self.app = create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "safety-eval-secret-key-long-enough-for-production",
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_ENDPOINT": self.fake.url,
            "LINE_API_TIMEOUT": 2.0,
            "KNOWLEDGE_DIR": str(knowledge_dir),
        })
        with self.app.app_context(), use_town(DEFAULT_TOWN_ID):
            if sqlite_template is None:
                upgrade()
            import_pack(read_pack(knowledge_dir))
            db.session.remove()
        self.client = self.app.test_client()
        self._n = 0

    def ask(self, texts: Sequence[str], batch: int = 40) -> list[list[dict]]:
        """Post each text from its own resident; return the messages of each reply (empty when none came)."""
        from tests.support.linesign import body_of, sign

        tokens: list[str] = []
        sender = self.app.extensions["line_sender"]
        for i, text in enumerate(texts):
            self._n += 1
            n = self._n
            token = f"safety-eval-{n}"
            event = {
                "type": "message", "mode": "active", "timestamp": 1_700_000_000_000 + n * 1000,
                "source": {"type": "user", "userId": f"U{n:032x}"},
                "webhookEventId": f"01SAFETYEVAL{n:014d}", "deliveryContext": {"isRedelivery": False},
                "replyToken": token,
                "message": {"type": "text", "id": f"{n:018d}", "quoteToken": "q", "text": text},
            }
            body = body_of([event])
            response = self.client.post("/callback", data=body, headers={
                "Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
            if response.status_code != 200:
                raise RuntimeError(f"the webhook answered {response.status_code} to {text!r}")
            tokens.append(token)
            if (i + 1) % batch == 0:
                sender.drain(30)
        if not sender.drain(30):
            raise RuntimeError("replies still queued after 30 s")
        by_token: dict[str, list[dict]] = {}
        for r in self.fake.calls(REPLY):
            if isinstance(r.body, dict):
                by_token.setdefault(r.body.get("replyToken", ""), r.body.get("messages", []))
        return [by_token.get(t, []) for t in tokens]

    def close(self) -> None:
        """Stop the sender and the fake, remove the temporary database."""
        from bot.extensions import db

        self.app.extensions["line_sender"].close()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.fake.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def run(bot: Bot, cases: Sequence[Case]) -> list[Result]:
    """Ask the bot every case and return the results."""
    replies = bot.ask([c.text for c in cases])
    return [Result(c, numbers_in(m), json.dumps(m, ensure_ascii=False)) for c, m in zip(cases, replies)]


@dataclass
class Score:
    """Totals over a set of results."""

    urgent: int = 0
    caught: int = 0
    crisis: int = 0
    crisis_caught: int = 0
    lookalikes: int = 0
    misfired: int = 0

    @property
    def caught_rate(self) -> float:
        return self.caught / self.urgent if self.urgent else 1.0

    @property
    def misfire_rate(self) -> float:
        return self.misfired / self.lookalikes if self.lookalikes else 0.0


def score(results: Sequence[Result]) -> Score:
    """Return the totals of a run."""
    s = Score()
    for r in results:
        if r.case.lookalike:
            s.lookalikes += 1
            s.misfired += not r.ok
        else:
            s.urgent += 1
            s.caught += r.ok
            if r.case.category == "crisis":
                s.crisis += 1
                s.crisis_caught += r.ok
    return s


def table(results: Sequence[Result]) -> str:
    """Return the per-category table and the totals."""
    rows: dict[str, list[int]] = {}
    for r in results:
        row = rows.setdefault(r.case.category, [0, 0])
        row[0] += r.ok if not r.case.lookalike else not r.ok
        row[1] += 1
    lines = [f"{'category':<30} {'urgent caught':>14} {'look-alike misfired':>20}"]
    for category, (hit, total) in sorted(rows.items(), key=lambda kv: (kv[0].startswith("lookalike-"), kv[0])):
        cell = f"{hit}/{total} ({hit / total:.0%})"
        lines.append(f"{category:<30} {cell:>14}" if not category.startswith("lookalike-")
                     else f"{category:<30} {'':>14} {cell:>20}")
    s = score(results)
    lines.append(f"{'TOTAL':<30} {f'{s.caught}/{s.urgent} ({s.caught_rate:.1%})':>14} "
                 f"{f'{s.misfired}/{s.lookalikes} ({s.misfire_rate:.1%})':>20}")
    lines.append(f"crisis caught: {s.crisis_caught}/{s.crisis}")
    return "\n".join(lines)


def failures(results: Sequence[Result], replies: bool = False) -> str:
    """Return one line per missed urgent phrasing and per misfired look-alike (and its reply, if asked)."""
    out = []
    for r in results:
        if r.ok:
            continue
        what = "MISSED  " if not r.case.lookalike else "MISFIRED"
        out.append(f"{what} [{r.case.category}] {r.case.text!r} -> {','.join(sorted(r.numbers)) or '-'}")
        if replies:
            out.append("        " + r.reply[:400])
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table for one half or both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=(*halves_on_disk(), "both"), default="tune")
    parser.add_argument("--category", action="append", help="only this category (repeatable)")
    parser.add_argument("--failures", action="store_true", help="list every miss and misfire")
    parser.add_argument("--replies", action="store_true", help="with --failures: print each failing reply")
    args = parser.parse_args(argv)
    halves = ("tune", "held") if args.half == "both" else (args.half,)
    bot = Bot()
    try:
        for half in halves:
            cases = load(half, args.category)
            results = run(bot, cases)
            print(f"== {half} half: {len(cases)} phrasings ==")
            print(table(results))
            if args.failures and half in HELD:
                print("(a held half: numbers only; its phrasings are never printed)")
            elif args.failures:
                print(failures(results, args.replies))
            print()
    finally:
        bot.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
