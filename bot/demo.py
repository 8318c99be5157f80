"""A demo database for screenshots and first looks: a month of questions, an inbox, followers, notices, staff.

Everything goes through the same service functions the webhook and the console use (conversation,
inbox, notices workflow and delivery, accounts, entry editing), so the demo shows what the code
really records. LINE user ids are obviously fake (``Udemo…``, not hex) and nothing is sent to LINE.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update

from bot.core import audit
from bot.staff import accounts
from bot.conversation import Incoming, respond
from bot.extensions import db
from bot.inbox.store import add_as_alternate, dismiss, open_groups
from bot.knowledge.editing import save_entry
from bot.pack import read_pack
from bot.pack import import_pack
from bot.line import postback
from bot.line.client import SendResult
from bot.models import AuditLog, Entry, Notice, QuestionLog, utcnow
from bot.notices import outbox, report, subscriptions, topics, workflow
from bot.notices.delivery import Deliverer

MARK = "demo.seed"  # the audit action that says the demo already ran
ADMIN = "demo-admin@example.invalid"
EDITOR = "demo-editor@example.invalid"
DAYS = 30
FOLLOWERS = 48
TOKYO = ZoneInfo("Asia/Tokyo")

# What residents ask and the bot knows (repeats make the most-asked list look like a real month).
ANSWERED = [
    "給食費って無料になったの？", "芦別の小学校の給食費はタダですか", "中学生の給食代ってかかりますか",
    "給食費の無償化はいつからですか", "学校給食費の支払いは今も必要でしょうか", "きゅうしょくひ むりょう",
    "出産応援ギフトってなに？", "妊娠したら市から何かもらえるんですか", "子育て応援ギフトはいつもらえますか",
    "赤ちゃんが生まれたらもらえるお祝いはありますか", "妊婦健診のお金は補助してもらえますか",
    "エコー検査の費用って出してもらえるの", "出産のときの交通費って補助ある？", "産後ケアってどんなことしてくれるの？",
    "子どもの医療費は無料ですか", "星の降る里あしべつ応援団ってなんですか", "応援団に登録したいです",
    "札幌に住んでるけど芦別の応援団に入れる？", "コンビニで住民票とれますか", "印鑑証明ってコンビニで取れるっしょ？",
    "書かない窓口ってなんですか", "マイナンバーカードを作りたいです", "マイナカードの更新したいんだけど",
    "体育館の予約ってネットでできますか", "デジタルサイネージってどこにあるの", "母子手帳のアプリってありますか",
    "保育園の欠席連絡はアプリでできますか", "芦別市のゼロカーボンシティ宣言ってなに", "公共施設のLED化はどれくらい進んでいますか",
    "芦別に移住したいんですが支援はありますか", "芦別市の総合戦略ってなに", "給食費", "出産 ギフト", "住民票 コンビニ",
]
# What the pack does not cover: the inbox groups staff would see. Variants of one wish group together.
UNANSWERED = [
    ["燃えないごみの収集日はいつですか", "燃えないゴミの収集日はいつですか", "燃えないごみの収集日はいつ？"],
    ["除雪車はいつ来ますか", "除雪車はいつ来るんですか"],
    ["市民プールは何時まで開いていますか", "市民プールは何時まで開いてますか"],
    ["粗大ごみの出し方を知りたい", "粗大ゴミの出し方を知りたい", "粗大ごみの出し方が知りたいです"],
    ["図書館の開館時間を教えてください", "図書館の開館時間を教えて"],
    ["路線バスの時刻表が見たい", "路線バスの時刻表を見たい"],
    ["犬の登録はどこでできますか"],
    ["水道の使用開始の手続きをしたい", "水道の使用開始の手続きは？"],
    ["子ども手当の振込日はいつですか"],
    ["うちの子の保育料の引き落とし額が違う気がする"],
]
# Questions the bot meets with topic buttons (suggestions) rather than one answer.
SUGGESTED = [
    ["芦別の子育て支援を教えて", "芦別の子育て支援を教えてください"],
    ["ネットで申請したい", "ネットで申請したいです"],
    ["赤ちゃんのこと"],
    ["アプリ"],
]
NOTICE_LINK = "https://www.city.ashibetsu.hokkaido.jp/"


class DemoRefused(Exception):
    """The demo must not run here (production)."""


@dataclass
class SeedReport:
    """What the demo seed made, or that it had run before."""

    already: bool = False
    questions: int = 0
    inbox_groups: int = 0
    followers: int = 0
    notices: dict[str, int] = field(default_factory=dict)
    bookings: int = 0
    users: tuple[str, ...] = ()
    password: str = ""


def fake_user_id(number: int) -> str:
    """Return a LINE-shaped id no real account can have (real ids are U + 32 hex digits)."""
    return f"Udemo{number:028d}"


class DemoGateway:
    """Answers every multicast as delivered without contacting LINE (the demo's followers are fake)."""

    def multicast(self, to, messages, retry_key, timeout=None) -> SendResult:
        """Pretend LINE accepted the batch."""
        return SendResult(ok=True, status=200, request_id=f"demo-{retry_key[:8]}")


def already_seeded() -> bool:
    """Tell whether the demo ran on this database before."""
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == MARK)) > 0


def seed(password: str | None = None, now: datetime | None = None) -> SeedReport:
    """Fill the database with a realistic month of use; refuse in production, do nothing the second time."""
    if current_app.config["APP_ENV"] == "production":
        raise DemoRefused("APP_ENV=production: the demo data would mix with residents' real questions.")
    if already_seeded():
        return SeedReport(already=True)
    now = now or utcnow()
    rng = random.Random(20261201)  # the same demo every time, so screenshots are comparable
    if not db.session.scalar(select(func.count(Entry.id))):
        import_pack(read_pack(current_app.config["KNOWLEDGE_DIR"]))
    password = password or accounts.generate_password()
    accounts.create_user(ADMIN, "admin", password, actor="demo seed")
    accounts.create_user(EDITOR, "editor", password, actor="demo seed")
    result = SeedReport(users=(ADMIN, EDITOR), password=password)
    result.followers = _followers(rng, now)
    result.questions = _questions(rng, now)
    _staff_work(now)
    result.inbox_groups = len(open_groups())
    result.notices = _notices(now)
    result.bookings = _bookings(rng, now)
    audit.record("demo seed", MARK, "demo", "", "デモデータを作成しました")
    db.session.commit()
    return result


def _moment(rng: random.Random, now: datetime, day: int) -> datetime:
    """Return a daytime moment (07–22 in Tokyo) `day` days before now, never in the future."""
    local = now.astimezone(TOKYO) - timedelta(days=day)
    local = local.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    return min(local.astimezone(now.tzinfo), now - timedelta(minutes=rng.randint(1, 90)))


def _followers(rng: random.Random, now: datetime) -> int:
    """Let followers arrive over the month, subscribe to topics, and record the daily follower count."""
    names = [t.slug for t in topics.all_topics()]
    arrivals = sorted(rng.randint(0, DAYS - 1) for _ in range(FOLLOWERS))[::-1]
    number = 0
    for day in range(DAYS - 1, -1, -1):
        for _ in range(arrivals.count(day)):
            number += 1
            uid = fake_user_id(number)
            respond(Incoming("follow", user_id=uid))
            row = subscriptions.follower(uid)
            for name in rng.sample(names, k=rng.randint(0, min(2, len(names)))):
                subscriptions.subscribe(row, name)
            db.session.commit()
        if day == 3:
            respond(Incoming("unfollow", user_id=fake_user_id(2)))  # a few leave, as in any month
            subscriptions.stop_all(subscriptions.follower(fake_user_id(5)))
            db.session.commit()
        report.record_follower_count(now - timedelta(days=day))
    return number


def _ask(text: str, rng: random.Random, when: datetime, followers: int) -> tuple[QuestionLog, str | None] | None:
    """Ask like a resident (mostly LINE, some from the console's simulator) and date the log row."""
    if rng.random() < 0.8:
        # Follower 2 unfollowed; a question from them would make them a follower again.
        incoming = Incoming("text", text=text, user_id=fake_user_id(rng.choice([n for n in range(1, followers + 1) if n != 2])))
    else:
        incoming = Incoming("text", text=text, channel="simulator")
    reply = respond(incoming)
    if reply is None or reply.log_id is None:
        return None
    db.session.execute(update(QuestionLog).where(QuestionLog.id == reply.log_id).values(created_at=when))
    db.session.commit()
    return db.session.get(QuestionLog, reply.log_id), incoming.user_id


def _questions(rng: random.Random, now: datetime) -> int:
    """Ask a month of questions: answered ones with 👍/👎, suggestions, and ones the bot cannot answer."""
    asked = 0
    followers = FOLLOWERS
    popular = ANSWERED + ANSWERED[:8] * 3 + ANSWERED[18:22] * 2
    for text in popular:
        asked_as = _ask(text, rng, _moment(rng, now, rng.randint(0, DAYS - 1)), followers)
        if asked_as is None:
            continue
        row, user_id = asked_as
        asked += 1
        if row.outcome == "answer" and rng.random() < 0.35:
            vote = "up" if rng.random() < 0.8 else "down"
            respond(Incoming("postback", data=postback.encode("fb", l=row.id, v=vote), user_id=user_id))
    for variants in UNANSWERED + SUGGESTED:
        for _ in range(len(variants) + rng.randint(0, 2)):
            asked_as = _ask(rng.choice(variants), rng, _moment(rng, now, rng.randint(0, DAYS - 1)), followers)
            if asked_as is None:
                continue
            asked += 1
            row, user_id = asked_as
            if row.outcome == "suggest" and row.candidates and rng.random() < 0.5:
                # The resident tapped the first button: the inbox shows that pick to staff.
                respond(Incoming("postback", data=postback.encode("ans", s=row.candidates[0]["slug"], l=row.id),
                                 user_id=user_id))
    return asked


def _staff_work(now: datetime) -> None:
    """Do what staff do in a month: answer an inbox group, dismiss a personal one, edit an entry."""
    for group in open_groups():
        if "ネットで申請" in group.text:
            entry = db.session.scalar(select(Entry).where(Entry.slug == "paperless-counter"))
            add_as_alternate(group, entry, group.text, EDITOR)
        elif "保育料" in group.text:
            dismiss(group, "personal", "保育所の担当から電話で連絡済み", EDITOR)
    entry = db.session.scalar(select(Entry).where(Entry.slug == "school-lunch-free"))
    data = entry.content()
    data["review_note"] = data["review_note"] + "（教育委員会に実施状況を問い合わせ中）"
    save_entry(entry, data, EDITOR)


def _request_and_approve(notice, when: datetime) -> None:
    """Ask to send as the editor and, under the two-person rule, approve as the admin."""
    workflow.request_send(notice, EDITOR, now=when - timedelta(hours=1))
    if notice.status == "pending_approval":
        workflow.approve(notice, ADMIN, notice.revision, now=when)


def _notices(now: datetime) -> dict[str, int]:
    """Write notices in each state: a draft, one waiting for approval, one scheduled, one sent with a report."""
    names = [t.slug for t in topics.all_topics()]
    child = next((n for n in names if "子育て" in n), names[0] if names else "")
    digital = next((n for n in names if "手続き" in n), child)
    made = []
    made.append(workflow.create(workflow.Draft(
        "母子手帳アプリのご案内",
        "母子手帳アプリの使い方や登録の方法は、市のホームページをご覧ください。",
        url=NOTICE_LINK, entry_slug="maternal-app", topics=(child,) if child else ()), EDITOR))
    waiting = workflow.create(workflow.Draft(
        "年末年始の窓口についてのお知らせ",
        "年末年始の市役所の窓口の受付日は、お出かけ前に市のホームページでご確認ください。",
        url=NOTICE_LINK), EDITOR)
    made.append(workflow.request_send(waiting, EDITOR, now=now - timedelta(hours=3)))
    later = workflow.create(workflow.Draft(
        "コンビニ交付についてのご案内",
        "住民票などの証明書のコンビニ交付について、詳しくは市のホームページをご覧ください。",
        url=NOTICE_LINK, entry_slug="convenience-store-certificates", topics=(digital,) if digital else (),
        send_at=now + timedelta(days=2)), EDITOR)
    _request_and_approve(later, now - timedelta(hours=1))
    made.append(later)
    sent = workflow.create(workflow.Draft(
        "出産・子育ての支援についてのご案内",
        "妊娠・出産・子育ての支援について、詳しくは市のホームページをご覧ください。",
        url=NOTICE_LINK, entry_slug="childbirth-gifts", topics=(child,) if child else ()), EDITOR)
    # Written a week ago: the console shows when it was made, and a sent notice made today reads oddly.
    db.session.execute(update(Notice).where(Notice.id == sent.id).values(created_at=now - timedelta(days=7)))
    _request_and_approve(sent, now - timedelta(days=6))
    outbox.enqueue(sent.id, now=now - timedelta(days=6))
    Deliverer(gateway=DemoGateway(), name="demo seed").drain(max_wait=10)
    made.append(sent)
    counts: dict[str, int] = {}
    for notice in made:
        db.session.refresh(notice)
        counts[notice.status] = counts.get(notice.status, 0) + 1
    return counts



# 施設予約: the plan names no facility, so the demo's are clearly examples (「（例）」), never the town's real ones.
DEMO_FACILITIES = [
    {"key": "demo-gym", "name": "（例）市民体育館", "address": "（例）芦別市北1条東1丁目", "phone": "0124-00-0000",
     "fee_text": "（例）1枠500円。当日、窓口で現金でお支払いください。", "note": "", "open_days": [1, 2, 3, 4, 5, 6],
     "opens": "09:00", "closes": "21:00", "closed_on_holidays": False, "slot_minutes": 120, "days_ahead": 30,
     "deadline_days": 1, "max_per_resident": 2,
     "units": [{"key": "arena-a", "name": "アリーナA面", "capacity": 40},
               {"key": "arena-b", "name": "アリーナB面", "capacity": 40}]},
    {"key": "demo-hall", "name": "（例）公民館", "address": "（例）芦別市南1条西1丁目", "phone": "0124-00-0001",
     "fee_text": "（例）会議室1枠300円。利用日に窓口でお支払いください。", "note": "", "open_days": [0, 1, 2, 3, 4, 5],
     "opens": "09:00", "closes": "17:00", "closed_on_holidays": True, "slot_minutes": 60, "days_ahead": 60,
     "deadline_days": 2, "max_per_resident": 3,
     "units": [{"key": "room-1", "name": "第1会議室", "capacity": 20},
               {"key": "room-2", "name": "和室", "capacity": 12}]},
]


def _bookings(rng: random.Random, now: datetime) -> int:
    """Add the example facilities and a few weeks of bookings (LINE, phone, counter), through the services."""
    from bot.booking import calendar as cal
    from bot.booking import store as booking_store
    from bot.core.problems import Invalid

    booking_store.import_facilities(DEMO_FACILITIES, author="demo seed")
    db.session.commit()
    made = 0
    purposes = ["バドミントン練習", "ミニバレー", "町内会の会議", "サークル活動", "卓球"]
    names = ["（例）山田", "（例）佐藤", "（例）鈴木", "（例）高橋"]
    today = to_local_date(now)
    for facility in booking_store.facilities():
        for offset in range(0, 10):
            day = today + timedelta(days=offset)
            for unit in cal.units(facility):
                for starts in cal.slot_starts(facility, day):
                    if rng.random() > 0.3:
                        continue
                    channel = rng.choice(["line", "phone", "counter"])
                    try:
                        booking_store.book(facility, unit, starts, people=rng.randint(2, min(12, unit.capacity)),
                                           purpose=rng.choice(purposes), name=rng.choice(names),
                                           line_user_id=fake_user_id(rng.randint(1, 40)) if channel == "line" else "",
                                           channel=channel,
                                           actor="demo seed", now=now)
                    except Invalid:
                        continue
                    made += 1
    return made


def to_local_date(moment: datetime):
    return moment.astimezone(ZoneInfo("Asia/Tokyo")).date()
