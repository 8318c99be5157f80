"""The isolation walk (issue 21 §2): two towns, a row in every town table, and every door of town A tried on B's rows.

Town A is the default town (slug `default`, served under /default/ as well as unprefixed), town B is `biei`. Each
gets the bundled pack and, from FACTORIES, at least one row in every table with a `town_id` (TownScoped). The list
of tables is read from the models: a new town table without a factory fails `test_every_town_table_has_a_factory`,
and every console route with a path argument must be named in ROUTE_ARGS, so a new one is walked automatically.

B's rows are compared before and after each walk (every column of every town table): A's doors change nothing there.
"""
from __future__ import annotations

import copy
import io
import json
import re
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

import pytest
from sqlalchemy import delete, func, inspect, select, text, update

from bot.core.tenancy import keyed, use_town
from bot.core.version import bump_version
from bot.extensions import db
from bot.forms import store as form_store
from bot.forms.links import make_link_token, make_withdraw_token
from bot.inbox.flagged import open_flagged
from bot.inbox.store import open_groups
from bot.kpi import store as kpi_store
from bot.models import (
    AuditLog, Booking, BookingClosure, BookingFacility, BookingUnit, Category, Chat, ChatMessage, ChatTemplate, Entry, EntryRevision, Facility, Follower, FollowerCount, FormLinkUse, FormSetting,
    FormSubmission, FormVersion, InboxResolution, KnowledgeVersion, Kpi, KpiActual, Notice, NoticeOptOut, Office,
    OfficeRevision, OutboxBatch, ProcessedEvent, QuestionLog, RichMenuDefinition, RichMenuPublication, RoleGrant,
    Screen, Shelter, Subscription, TopicOffer, TownSetting, User, utcnow,
)
from bot.models import TestRecipient as Recipient  # not a test class
from bot.models.tenancy import DEFAULT_TOWN_ID, TownScoped
from bot.signage import facilities
from bot.staff.accounts import create_user
from bot.towns.store import create_town
from tests.support import events
from tests.support.console import PASSWORD
from tests.support.linesign import body_of, sign

A, B = "default", "biei"
# B's LINE channel: the walk is about rows, so both webhooks verify with the environment's secret (tests/conftest.py);
# each town's own channel (secret, token) has its own tests.
SECRET = "test-channel-secret"
MARKS = {A: "芦別だけの", B: "美瑛だけの"}  # in a text field of every row a factory makes
SHARED_USER = "U" + "5" * 32  # one LINE user known to both towns
COMMON_FORM = "supporters-club"  # the bundled pack's form: both towns have it


@dataclass
class Town:
    """One town of the walk: its id, slug, and the rows its factories made (by model), keys and tokens."""

    id: int
    slug: str
    mark: str
    rows: dict[type, list[Any]] = field(default_factory=dict)  # model → primary keys (tuples) of the rows made
    extra: dict[str, Any] = field(default_factory=dict)

    def pk(self, model: type) -> tuple:
        return self.rows[model][0]

    def id_of(self, model: type) -> int:
        return self.pk(model)[0] if len(self.pk(model)) == 1 else self.pk(model)[1]


def _keep(town: Town, *objects) -> None:
    db.session.flush()
    for obj in objects:
        town.rows.setdefault(type(obj), []).append(inspect(obj).identity)


# ---------------------------------------------------------------------------------------------------------------
# A factory per town table. Each adds at least one row of its model, marked with the town's words; later factories
# may use the rows of earlier ones (town.rows).

def _users(t: Town) -> None:
    admin = create_user(f"{t.slug}-admin@example.invalid", "admin", PASSWORD, actor="test")
    editor = create_user(f"{t.slug}-editor@example.invalid", "editor", PASSWORD, actor="test")
    # Listed editor first: the console walk acts on the editor, never on the admin who is logged in.
    t.rows[User] = [inspect(editor).identity, inspect(admin).identity]


def _role_grants(t: Town) -> None:
    editor, admin = (db.session.get(User, pk) for pk in t.rows[User])
    grant = RoleGrant(user_id=editor.id, role="admin", granted_by=admin.id)  # waiting for confirmation
    db.session.add(grant)
    _keep(t, grant)


def _audit_log(t: Town) -> None:
    row = AuditLog(actor="test", action="test.mark", target_type="town", summary=f"{t.mark}記録")
    db.session.add(row)
    _keep(t, row)


def _categories(t: Town) -> None:
    row = Category(name=f"{t.mark}分類", position=90)
    db.session.add(row)
    _keep(t, row)


def _entries(t: Town) -> None:
    category = db.session.scalar(select(Category.name).order_by(Category.position))
    entry = Entry(slug=f"{t.slug}-only", title=f"{t.mark}回答", category=category, answer=f"{t.mark}答えです。",
                  questions=[f"{t.mark}質問"], status="published", updated_on=date(2026, 12, 1))
    db.session.add(entry)
    db.session.flush()
    revision = EntryRevision(entry_id=entry.id, number=1, data=entry.content(), author="test", reason="create")
    db.session.add(revision)
    _keep(t, entry, revision)


def _knowledge_version(t: Town) -> None:
    bump_version()
    _keep(t, db.session.scalar(select(KnowledgeVersion)))


def _followers(t: Town) -> None:
    own = Follower(line_user_id="U" + f"{t.id:x}" * 32)
    shared = Follower(line_user_id=SHARED_USER)
    quitter = Follower(line_user_id="U" + f"{t.id + 10:x}" * 16)
    db.session.add_all([own, shared, quitter])
    _keep(t, own, shared, quitter)


def _follower_ids(t: Town) -> list[int]:
    return [pk[0] for pk in t.rows[Follower]]


def _subscriptions(t: Town) -> None:
    own, shared, quitter = _follower_ids(t)
    row = Subscription(follower_id=own, topic="子育て")
    db.session.add(row)
    _keep(t, row)


def _offers(t: Town) -> None:
    row = TopicOffer(follower_id=_follower_ids(t)[0], topic="子育て")
    db.session.add(row)
    _keep(t, row)


def _optouts(t: Town) -> None:
    row = NoticeOptOut(follower_id=_follower_ids(t)[2])
    db.session.add(row)
    _keep(t, row)


def _follower_counts(t: Town) -> None:
    row = FollowerCount(day=date(2026, 1, t.id), active=t.id)
    db.session.add(row)
    _keep(t, row)


def _processed_events(t: Town) -> None:
    new = ProcessedEvent(webhook_event_id=f"{t.slug}-event", event_type="message")
    old = ProcessedEvent(webhook_event_id=f"{t.slug}-old-event", event_type="message",
                         received_at=utcnow() - timedelta(days=400))
    db.session.add_all([new, old])
    _keep(t, new, old)


def _questions(t: Town) -> None:
    now = utcnow()
    asked = QuestionLog(text=f"{t.mark}ごみの日はいつですか", user_hash=f"{t.slug}-hash", outcome="fallback",
                        channel="line")
    flagged = QuestionLog(text=f"{t.mark}火事です", user_hash=f"{t.slug}-hash", outcome="safety", channel="line",
                          safety_flag="urgent", safety_reply=[{"rule": "fire", "numbers": ["119"]}])
    resolved = QuestionLog(text=f"{t.mark}解決済みの質問", user_hash=f"{t.slug}-hash", outcome="fallback")
    old = QuestionLog(text=f"{t.mark}古い質問", user_hash=f"{t.slug}-hash", outcome="fallback",
                      created_at=now - timedelta(days=400))
    db.session.add_all([asked, flagged, resolved, old])
    _keep(t, asked, flagged, resolved, old)


def _inbox_resolutions(t: Town) -> None:
    question = t.rows[QuestionLog][2][0]
    row = InboxResolution(question_id=question, action="dismissed", reason=f"{t.mark}対応不要", actor="test")
    db.session.add(row)
    _keep(t, row)


def _offices(t: Town) -> None:
    office = Office(key=f"{t.slug}-office", name=f"{t.mark}担当課", phone="0124-00-0000")
    db.session.add(office)
    db.session.flush()
    revision = OfficeRevision(office_id=office.id, number=1, data=office.content(), author="test", reason="create")
    db.session.add(revision)
    _keep(t, office, revision)


def _shelters(t: Town) -> None:
    row = Shelter(key=f"{t.slug}-shelter", name=f"{t.mark}避難所", address="北海道", kinds=[])
    db.session.add(row)
    _keep(t, row)


def _forms(t: Town) -> None:
    definition = copy.deepcopy(form_store.latest_version(COMMON_FORM).definition)
    definition.update(slug=f"{t.slug}-only-form", title=f"{t.mark}申込み")
    form_store.import_forms([definition], author="test")
    own = form_store.latest_version(f"{t.slug}-only-form")
    _keep(t, own)
    t.extra["form"] = own.slug


def _form_settings(t: Town) -> None:
    row = FormSetting(slug=t.extra["form"], paper_registrations=3, updated_by=f"{t.mark}係")
    db.session.add(row)
    _keep(t, row)


def _form_submissions(t: Town) -> None:
    version = form_store.latest_version(COMMON_FORM)
    nonce = uuid.uuid4().hex
    row = FormSubmission(receipt_no=form_store.receipt_for(nonce, COMMON_FORM), form_slug=COMMON_FORM,
                         form_version_id=version.id, channel="line", line_user_id=SHARED_USER,
                         answers={"name": f"{t.mark}花子", "kana": "あしべつ はなこ", "prefecture": "北海道",
                                  "city": "札幌市", "relation": ["芦別出身"], "contact_via": "LINE", "consent": True})
    db.session.add(row)
    _keep(t, row)
    t.extra["receipt"] = row.receipt_no


def _form_link_uses(t: Town) -> None:
    row = FormLinkUse(nonce=(t.slug * 8)[:32])
    db.session.add(row)
    _keep(t, row)


def _notices(t: Town) -> None:
    now = utcnow()
    draft = Notice(title=f"{t.mark}下書き", body="本文", status="draft", created_by="test", editors=["test"])
    live = Notice(title=f"{t.mark}お知らせ", body=f"{t.mark}本文です", status="sent", created_by="test",
                  channels=["line", "web", "signage"], requested_at=now - timedelta(hours=2),
                  approved_at=now - timedelta(hours=1), finished_at=now - timedelta(hours=1), recipients=1)
    due = Notice(title=f"{t.mark}配信予定", body=f"{t.mark}配信します", status="scheduled", created_by="test",
                 send_at=now - timedelta(minutes=5), requested_at=now - timedelta(hours=2),
                 approved_at=now - timedelta(hours=1))
    db.session.add_all([draft, live, due])
    _keep(t, draft, live, due)


def _batches(t: Town) -> None:
    live = t.rows[Notice][1][0]
    row = OutboxBatch(notice_id=live, user_ids=[SHARED_USER], size=1, retry_key=str(uuid.uuid4()), status="sent",
                      attempts=1, finished_at=utcnow())
    db.session.add(row)
    _keep(t, row)


def _test_recipients(t: Town) -> None:
    row = Recipient(name=f"{t.mark}係", line_user_id="U" + f"{t.id + 3:x}" * 32, added_by="test")
    db.session.add(row)
    _keep(t, row)


def _rich_menus(t: Town) -> None:
    row = keyed(RichMenuDefinition, "normal")  # the pack's menu
    assert row is not None, "the bundled pack brings the normal rich menu"
    row.updated_by = f"{t.mark}係"
    _keep(t, row)


def _rich_menu_publications(t: Town) -> None:
    row = RichMenuPublication(mode="normal", fingerprint="f" * 64, line_menu_id=f"richmenu-{t.slug}",
                              published_by=f"{t.mark}係")
    db.session.add(row)
    _keep(t, row)


def _signage(t: Town) -> None:
    facility, screen, key = facilities.add_screen_at(f"{t.mark}施設", "ロビー", "", "test")
    _keep(t, facility, screen)
    t.extra["screen_key"] = key


def _kpis(t: Town) -> None:
    kpi = kpi_store.kpi_by_key("maternal-app")  # the town's own, from its pack
    actual = KpiActual(kpi_id=kpi.id, value="150", as_of=date(2025, 3, 31), source=f"{t.mark}集計",
                       entered_by="test")
    db.session.add(actual)
    _keep(t, kpi, actual)


def _bookings(t: Town) -> None:
    from bot.booking import calendar as cal
    from bot.booking import store as booking_store

    key = f"gym-{t.slug}"  # a facility only that town has
    booking_store.import_facilities([{
        "key": key, "name": f"{t.mark}体育館", "address": "", "phone": "", "fee_text": "", "note": "",
        "open_days": list(range(7)), "opens": "09:00", "closes": "21:00", "closed_on_holidays": False,
        "slot_minutes": 120, "days_ahead": 30, "deadline_days": 0, "max_per_resident": 5,
        "units": [{"key": "arena", "name": f"{t.mark}アリーナ", "capacity": 40}]}], author="test")
    facility = booking_store.facility_by_key(key)
    unit = booking_store.unit_by_key(facility, "arena")
    day = date.today() + timedelta(days=3)
    closure = BookingClosure(facility_id=facility.id, first_day=day + timedelta(days=5), last_day=day + timedelta(days=5),
                             reason=f"{t.mark}点検", created_by="test")
    db.session.add(closure)
    booking = Booking(receipt_no=f"Y{t.slug[:3].upper()}0001", facility_id=facility.id, unit_id=unit.id,
                      starts_at=cal.utc(cal.local_moment(day, cal.time(9))),
                      ends_at=cal.utc(cal.local_moment(day, cal.time(11))),
                      slot_start=cal.utc(cal.local_moment(day, cal.time(9))), people=3, purpose=f"{t.mark}練習",
                      name=f"{t.mark}住民", line_user_id=SHARED_USER, channel="line", reminder_key=str(uuid.uuid4()))
    db.session.add(booking)
    _keep(t, facility, unit, closure, booking)
    t.extra["facility_key"], t.extra["booking_receipt"] = key, booking.receipt_no


def _chats(t: Town) -> None:
    # Ended: an open chat would take the shared resident's messages away from the question log the webhook walk reads.
    chat = Chat(line_user_id=SHARED_USER, user_hash="h" * 64, status="ended", opened_at=utcnow(), ended_at=utcnow(),
                memo=f"{t.mark}メモ")
    message = ChatMessage(chat=chat, sender="resident", kind="image", text=f"{t.mark}の写真", image=b"\xff\xd8\xff",
                          image_type="image/jpeg", line_message_id=f"{t.id}1")
    template = ChatTemplate(title=f"{t.mark}定型文", body="お待ちください", updated_by="test")
    db.session.add_all([chat, message, template])
    _keep(t, chat, message, template)


def _town_settings(t: Town) -> None:
    row = TownSetting(key="name", value=f"{t.mark}町", updated_by="test")
    db.session.add(row)
    _keep(t, row)


FACTORIES: dict[type, Callable[[Town], None]] = {
    User: _users, RoleGrant: _role_grants, AuditLog: _audit_log, Category: _categories, Entry: _entries,
    EntryRevision: _entries, KnowledgeVersion: _knowledge_version, Follower: _followers, Subscription: _subscriptions,
    TopicOffer: _offers, NoticeOptOut: _optouts, FollowerCount: _follower_counts, ProcessedEvent: _processed_events,
    QuestionLog: _questions, InboxResolution: _inbox_resolutions, Office: _offices, OfficeRevision: _offices,
    Shelter: _shelters, FormVersion: _forms, FormSetting: _form_settings, FormSubmission: _form_submissions,
    FormLinkUse: _form_link_uses, Notice: _notices, OutboxBatch: _batches, Recipient: _test_recipients,
    RichMenuDefinition: _rich_menus, RichMenuPublication: _rich_menu_publications, Facility: _signage,
    Screen: _signage, TownSetting: _town_settings, Kpi: _kpis, KpiActual: _kpis, BookingFacility: _bookings,
    BookingUnit: _bookings, BookingClosure: _bookings, Booking: _bookings,
    Chat: _chats, ChatMessage: _chats, ChatTemplate: _chats,
}


def town_models() -> list[type]:
    """Every mapped model with a town_id, read from the models (a new table is walked without changing this file)."""
    return sorted({m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TownScoped)},
                  key=lambda model: model.__name__)


def test_every_town_table_has_a_factory():
    models = town_models()
    missing = [m.__name__ for m in models if m not in FACTORIES]
    assert not missing, f"town tables without a row factory in the isolation walk: {missing}"
    tables = {m.__table__.name for m in models}
    with_town_column = {t.name for t in db.metadata.sorted_tables if "town_id" in t.c}
    assert with_town_column == tables, "every table with a town_id is a TownScoped model"
    assert len(models) >= 30


def _fill(t: Town) -> None:
    with use_town(t.id):
        done = set()
        for model, factory in FACTORIES.items():
            if factory not in done:
                factory(t)
                done.add(factory)
        db.session.commit()


@pytest.fixture
def towns(loaded_app):
    """The default town and biei, each with the bundled pack and a marked row in every town table."""
    app = loaded_app
    app.config["NOTICE_QUIET_HOURS"] = ""  # the jobs deliver whatever the time of day
    with app.app_context():
        other = create_town(B, "美瑛町", actor="test", pack_dir=app.config["KNOWLEDGE_DIR"],
                            channel_secret=SECRET, access_token="biei-access-token")
        a, b = Town(DEFAULT_TOWN_ID, A, MARKS[A]), Town(other.id, B, MARKS[B])
        for town in (a, b):
            _fill(town)
        for town in (a, b):
            with use_town(town.id):
                for model, keys in town.rows.items():
                    assert all(key is not None for key in keys), model.__name__
                town.extra["group"] = next(g.token for g in open_groups() if town.mark in g.text)
                town.extra["flagged"] = next(f.token for f in open_flagged().items if town.mark in f.text)
                town.extra["withdraw"] = make_withdraw_token(town.extra["receipt"])
                town.extra["link"] = make_link_token(_follower_ids(town)[0], COMMON_FORM)
                for model in town_models():
                    count = db.session.scalar(select(func.count()).select_from(model))
                    assert count >= 1 and town.rows.get(model), f"{model.__name__}: no row in {town.slug}"
        db.session.remove()
    return app, a, b


def snapshot(town: Town) -> dict[str, list[str]]:
    """Return every row of every town table of this town (all columns), read with raw SQL inside the town."""
    rows = {}
    with use_town(town.id):
        for model in town_models():
            table = model.__table__.name
            result = db.session.execute(text(f'SELECT * FROM "{table}" WHERE town_id = :town'), {"town": town.id})
            rows[table] = sorted(repr(tuple(r)) for r in result)
        db.session.commit()
    return rows


def _unchanged(app, town: Town, before: dict[str, list[str]]) -> None:
    with app.app_context():
        after = snapshot(town)
        db.session.remove()
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, f"{town.slug}'s rows changed: {changed}"


# ---------------------------------------------------------------------------------------------------------------
# ORM

def test_the_orm_shows_and_changes_only_the_current_towns_rows(towns):
    app, a, b = towns
    with app.app_context():
        before = snapshot(b)
        with use_town(a.id):
            for model in town_models():
                rows = db.session.scalars(select(model)).all()
                raw = db.session.execute(text(f'SELECT count(*) FROM "{model.__table__.name}" WHERE town_id = :t'),
                                         {"t": a.id}).scalar()
                assert rows and len(rows) == raw and {r.town_id for r in rows} == {a.id}, model.__name__
                theirs = b.pk(model)
                assert db.session.get(model, theirs) is None, model.__name__
                keys = [c for c in model.__table__.primary_key.columns]
                where = [getattr(model, c.key) == v for c, v in zip(keys, theirs)]
                assert db.session.scalar(select(model).where(*where)) is None, model.__name__
                column = next(c for c in model.__table__.columns if not c.primary_key and c.key != "town_id"
                              and c.key not in ("lock_version",))
                attribute = getattr(model, column.key)
                assert db.session.execute(update(model).where(*where).values({attribute: attribute})).rowcount == 0
                assert db.session.execute(delete(model).where(*where)).rowcount == 0, model.__name__
                # Without a WHERE: every row of the town, and only those.
                touched = db.session.execute(update(model).values({attribute: attribute})).rowcount
                assert touched == raw, model.__name__
            db.session.commit()
        db.session.remove()
    _unchanged(app, b, before)


# ---------------------------------------------------------------------------------------------------------------
# Staff: A's admin on B's rows under /default/admin/…

# Each console route's path argument → the row of a town it names (a new route with an argument must be added here).
ROUTE_ARGS: dict[str, Callable[[Town], Any]] = {
    "submission_id": lambda t: t.id_of(FormSubmission),
    "kpi_id": lambda t: t.id_of(Kpi),
    "fkey": lambda t: t.extra["facility_key"],  # 施設予約: a facility only that town has
    "receipt": lambda t: t.extra["booking_receipt"],
    "closure_id": lambda t: t.id_of(BookingClosure),
    "chat_id": lambda t: t.id_of(Chat),
    "message_id": lambda t: t.id_of(ChatMessage),
    "template_id": lambda t: t.id_of(ChatTemplate),
    "actual_id": lambda t: t.id_of(KpiActual),
    "category_id": lambda t: t.id_of(Category),
    "entry_id": lambda t: t.id_of(Entry),
    "number": lambda t: 1,  # with entry_id: the town's entry's first revision
    "notice_id": lambda t: t.id_of(Notice),  # the draft
    "recipient_id": lambda t: t.id_of(Recipient),
    "office_id": lambda t: t.id_of(Office),
    "shelter_id": lambda t: t.id_of(Shelter),
    "facility_id": lambda t: t.id_of(Facility),
    "screen_id": lambda t: t.id_of(Screen),
    "user_id": lambda t: t.id_of(User),  # the editor
    "grant_id": lambda t: t.id_of(RoleGrant),
    "slug": lambda t: t.extra["form"],  # a form only that town has
    "key": lambda t: "name",  # a setting's name: every town has its own (checked by B's rows, not by a 404)
    "filename": None,  # static files: no row
}
NOT_A_ROW = {"admin.town_reset"}  # its argument names a setting, not a row: A resets its own
CONSOLE_BLUEPRINTS = ("admin.", "notices.", "signage_admin.")


def _console_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(CONSOLE_BLUEPRINTS) and rule.endpoint != "notices.static":
            yield rule


def _url(rule, town: Town, prefix: str) -> str:
    values = {name: ROUTE_ARGS[name](town) for name in rule.arguments}
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return f"/{prefix}{path}"


def _login(app, town: Town):
    client = app.test_client()
    page = client.get(f"/{town.slug}/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/{town.slug}/admin/login", data={
        "email": f"{town.slug}-admin@example.invalid", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    page = client.get(f"/{town.slug}/admin/account").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _marks_of(town: Town) -> tuple[str, ...]:
    return town.mark, f"{town.slug}-admin@", f"{town.slug}-editor@", f"{town.slug}-only"


def test_every_console_route_with_an_id_answers_404_for_another_towns_row(towns):
    app, a, b = towns
    rules = list(_console_rules(app))
    unnamed = {arg for rule in rules for arg in rule.arguments if arg not in ROUTE_ARGS}
    assert not unnamed, f"console route arguments the isolation walk does not know: {unnamed}"
    walked = [rule for rule in rules if rule.arguments]
    assert len(walked) >= 35
    client, token = _login(app, a)
    with app.app_context():
        before = snapshot(b)
        db.session.remove()
    for rule in walked:
        url = _url(rule, b, a.slug)
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "confirm": "yes", "reason": "x",
                                                  "name": "x", "role": "admin", "status": "open"})
            expected = 404 if rule.endpoint not in NOT_A_ROW else response.status_code
            assert response.status_code == expected, f"{method} {url} ({rule.endpoint}): {response.status_code}"
            body = response.get_data(as_text=True)
            assert not any(mark in body for mark in _marks_of(b)), f"{method} {url} shows B's data"
    _unchanged(app, b, before)
    # The same doors with A's own rows are found: the 404s above are about the town, not about the doors.
    for rule in walked:
        url = _url(rule, a, a.slug)
        if "GET" in rule.methods:
            assert client.get(url).status_code != 404, f"GET {url}"
    for rule in walked:
        if "POST" in rule.methods and "GET" not in rule.methods:
            url = _url(rule, a, a.slug)
            assert client.post(url, data={"csrf_token": token}).status_code != 404, f"POST {url}"


def test_console_pages_lists_and_downloads_show_only_the_towns_own_rows(towns):
    app, a, b = towns
    client, token = _login(app, a)
    pages = [rule.rule for rule in _console_rules(app) if not rule.arguments and "GET" in rule.methods]
    assert len(pages) >= 20
    seen = ""
    for path in pages:
        response = client.get(f"/{a.slug}{path}")
        assert response.status_code in (200, 302), f"{path}: {response.status_code}"
        body = _readable(response)
        assert not any(mark in body for mark in _marks_of(b)), f"{path} shows B's data"
        seen += body
    # The pages did show A's own rows of each kind (the check above could not pass by showing nothing).
    for words in ("回答", "分類", "担当課", "避難所", "お知らせ", "施設", "ごみの日はいつですか", "火事です", "係", "町",
                  "体育館"):
        assert f"{a.mark}{words}" in seen, words
    for path in ("/admin/applications?form=" + COMMON_FORM, "/admin/audit?q=" + a.mark):
        body = client.get(f"/{a.slug}{path}").get_data(as_text=True)
        assert not any(mark in body for mark in _marks_of(b)), path
    exported = client.post(f"/{a.slug}/admin/applications/export.csv",
                           data={"csrf_token": token, "form": COMMON_FORM, "purpose": "確認"})
    assert exported.status_code in (200, 302, 400)
    assert not any(mark in _readable(exported) for mark in _marks_of(b))


def _readable(response) -> str:
    """Return a page, a CSV or every file of a zip as text."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")


def test_inbox_actions_posted_with_another_towns_group_change_nothing_there(towns):
    app, a, b = towns
    client, token = _login(app, a)
    with app.app_context():
        before = snapshot(b)
        db.session.remove()
    group, flagged = b.extra["group"], b.extra["flagged"]
    for path, data in [
        ("/admin/inbox/dismiss", {"group": group, "reason": "personal", "note": "x"}),
        ("/admin/inbox/handled", {"group": group, "note": "x"}),
        ("/admin/inbox/alternate", {"group": group, "entry": f"{b.slug}-only", "question": "x", "confirm": "yes"}),
        ("/admin/inbox/check", {"group": flagged, "last": str(2**31), "note": "x"}),
        ("/admin/readiness/%d/resolve" % b.id_of(Entry), {}),
    ]:
        response = client.post(f"/{a.slug}{path}", data={"csrf_token": token, **data}, follow_redirects=True)
        assert response.status_code in (200, 404), path
        assert not any(mark in response.get_data(as_text=True) for mark in _marks_of(b)), path
    _unchanged(app, b, before)
    # A's own group is found by the same door.
    response = client.post(f"/{a.slug}/admin/inbox/dismiss", data={
        "csrf_token": token, "group": a.extra["group"], "reason": "personal"}, follow_redirects=True)
    assert "1件を対応不要にしました" in response.get_data(as_text=True)


def test_a_session_of_one_town_is_no_session_in_another(towns):
    app, a, b = towns
    client, _ = _login(app, b)
    assert client.get(f"/{b.slug}/admin/").status_code == 200
    response = client.get(f"/{a.slug}/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302  # the default town unprefixed
    # The cookie itself, replayed under A's path, names no user of A.
    cookie = next(c for c in client._cookies.values() if c.path == f"/{b.slug}/")
    stranger = app.test_client()
    stranger.set_cookie(cookie.key, cookie.value, path=f"/{a.slug}/")
    stranger.set_cookie(cookie.key, cookie.value, path="/")
    response = stranger.get(f"/{a.slug}/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stranger.get("/admin/").status_code == 302
    # The same cookie under B's path is B's session (the refusal above is about the town).
    insider = app.test_client()
    insider.set_cookie(cookie.key, cookie.value, path=f"/{b.slug}/")
    assert insider.get(f"/{b.slug}/admin/").status_code == 200


def test_a_staff_account_of_another_town_cannot_log_in(towns):
    app, a, b = towns
    client = app.test_client()
    page = client.get(f"/{a.slug}/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/{a.slug}/admin/login", data={
        "email": f"{b.slug}-admin@example.invalid", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401


def test_failed_logins_in_one_town_never_pause_the_same_email_in_another(towns):
    """The login limiter counts an account per town: the same e-mail in two towns is two accounts."""
    app, a, b = towns
    email = "same@example.invalid"
    with app.app_context():
        for town in (a, b):
            with use_town(town.id):
                create_user(email, "editor", PASSWORD, actor="test")
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    for _ in range(5):
        assert client.post(f"/{b.slug}/admin/login", data={"email": email, "password": "wrong"}).status_code == 401
    paused = client.post(f"/{b.slug}/admin/login", data={"email": email, "password": PASSWORD})
    assert paused.status_code in (401, 429) and "しばらくログインできません" in paused.get_data(as_text=True)
    # The same e-mail and address in town A: its own account, not paused.
    assert client.post(f"/{a.slug}/admin/login", data={"email": email, "password": PASSWORD}).status_code == 302


def test_test_sends_in_one_town_never_use_up_the_same_emails_hour_in_another(towns):
    from bot.core.problems import Invalid
    from bot.notices import workflow

    app, a, b = towns
    app.config["NOTICE_TEST_SENDS_PER_HOUR"] = 2
    by = "same@example.invalid"
    with app.app_context():
        with use_town(b.id):
            notice, recipient = db.session.get(Notice, b.pk(Notice)), db.session.get(Recipient, b.pk(Recipient))
            for _ in range(2):
                assert workflow.test_send(notice, recipient, by).ok
            assert workflow.test_sends_left(by) == 0
            with pytest.raises(Invalid):
                workflow.test_send(notice, recipient, by)
        with use_town(a.id):
            assert workflow.test_sends_left(by) == 2
            notice, recipient = db.session.get(Notice, a.pk(Notice)), db.session.get(Recipient, a.pk(Recipient))
            assert workflow.test_send(notice, recipient, by).ok
        db.session.remove()


# ---------------------------------------------------------------------------------------------------------------
# Webhook

def _post_events(app, town: Town, event_list) -> None:
    body = body_of(event_list)
    response = app.test_client().post(f"/{town.slug}/callback", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert app.extensions["line_sender"].drain(10)


def test_events_to_one_towns_webhook_never_read_or_change_another_towns_residents(towns, fake_line):
    app, a, b = towns
    with app.app_context():
        before = snapshot(b)
        db.session.remove()
    b_log = b.rows[QuestionLog][0][0]
    b_only = "U" + f"{b.id:x}" * 32
    _post_events(app, a, [
        events.follow(user=SHARED_USER),
        events.text("給食費って無料になったの？", user=SHARED_USER),
        events.text("応援団をやめる", user=SHARED_USER),  # B's registration is B's: A knows none
        events.postback(f"fb:l={b_log}&v=down", user=SHARED_USER),
        events.postback("ans:s=biei-only&l=%d" % b_log, user=SHARED_USER),
        events.text("配信停止", user=SHARED_USER),
        events.unfollow(user=b_only),
        events.follow(user=b_only),
    ])
    _unchanged(app, b, before)
    replies = json.dumps([r.body for r in fake_line.calls("/v2/bot/message/reply")], ensure_ascii=False)
    assert "給食" in replies and not any(mark in replies for mark in _marks_of(b))
    with app.app_context(), use_town(a.id):
        # A now knows the shared user (its own row), and logged A's question only.
        assert db.session.scalar(select(func.count()).select_from(Follower)
                                 .where(Follower.line_user_id == b_only)) == 1
        assert db.session.scalar(select(QuestionLog.text).order_by(QuestionLog.id.desc()).limit(1))
    # The same resident's events to B's webhook reach B (the check above is about the town).
    _post_events(app, b, [events.text("給食費って無料になったの？", user=SHARED_USER)])
    with app.app_context(), use_town(b.id):
        assert db.session.scalar(select(func.count()).select_from(QuestionLog)) == len(b.rows[QuestionLog]) + 1


# ---------------------------------------------------------------------------------------------------------------
# Public pages

def test_public_pages_under_one_towns_prefix_never_serve_another_towns_rows(towns):
    app, a, b = towns
    client = app.test_client()
    checks = [
        (f"/forms/{b.extra['form']}", 404, 200),
        (f"/signage/{b.extra['screen_key']}", 404, 303),
        (f"/signage/{b.extra['screen_key']}/content", 404, 200),
        (f"/notices/{b.rows[Notice][1][0]}", 404, 200),
    ]
    # 施設予約: B's facility is no facility in A, and B's LINE link means nothing in A (each town signs its own).
    from bot.booking.links import make_link
    with app.app_context(), use_town(b.id):
        b_link = make_link(db.session.scalar(select(Follower.id).where(Follower.line_user_id == SHARED_USER)))
    with app.app_context(), use_town(a.id):
        a_link = make_link(db.session.scalar(select(Follower.id).where(Follower.line_user_id == SHARED_USER)))
    foreign = app.test_client()
    foreign.get(f"/{a.slug}/booking?t={b_link}")
    refused = foreign.get(f"/{a.slug}/booking")
    assert refused.status_code == 400 and "リンクが正しくありません" in refused.get_data(as_text=True)
    own = app.test_client()
    own.get(f"/{a.slug}/booking?t={a_link}")
    page = own.get(f"/{a.slug}/booking").get_data(as_text=True)
    assert f"{a.mark}体育館" in page and b.mark not in page
    assert own.get(f"/{a.slug}/booking/{b.extra['facility_key']}").status_code == 404
    assert own.get(f"/{a.slug}/booking/done/{b.extra['booking_receipt']}").status_code == 404
    for path, in_a, in_b in checks:
        assert client.get(f"/{a.slug}{path}").status_code == in_a, path
        assert client.get(path).status_code == in_a, path  # unprefixed: the default town, A
        assert app.test_client().get(f"/{b.slug}{path}").status_code == in_b, path
    for path in ("/notices", "/notices.atom"):
        for prefix, mine, theirs in ((f"/{a.slug}", a, b), ("", a, b), (f"/{b.slug}", b, a)):
            body = client.get(prefix + path).get_data(as_text=True)
            assert f"{mine.mark}お知らせ" in body and theirs.mark not in body, prefix + path
    for path in ("/kpi", "/kpi.atom"):  # the plan's KPIs: each town's actuals only
        for prefix, mine, theirs in ((f"/{a.slug}", a, b), ("", a, b), (f"/{b.slug}", b, a)):
            body = client.get(prefix + path).get_data(as_text=True)
            assert f"{mine.mark}集計" in body and theirs.mark not in body, prefix + path
    # B's screen in a kiosk: its cookie is B's path's, and B's key is no screen in A.
    kiosk = app.test_client()
    response = kiosk.get(f"/{b.slug}/signage/{b.extra['screen_key']}")
    assert response.status_code == 303 and f"Path=/{b.slug}/signage" in response.headers["Set-Cookie"]
    assert kiosk.get(f"/{b.slug}/signage/").status_code == 200
    assert kiosk.get(f"/{a.slug}/signage/").status_code == 404
    assert kiosk.get("/signage/").status_code == 404


def test_form_tokens_of_one_town_mean_nothing_in_another(towns):
    """A LINE link names a follower's row and a withdrawal link a receipt: both are signed for their town only."""
    app, a, b = towns
    with app.app_context():
        before = snapshot(b)
        db.session.remove()
    # B's management link, opened under A: not B's registration, not A's either.
    client = app.test_client()
    page = client.get(f"/{a.slug}/forms/{COMMON_FORM}/manage?w={b.extra['withdraw']}", follow_redirects=True)
    body = page.get_data(as_text=True)
    assert b.extra["receipt"] not in body and b.mark not in body and page.status_code in (400, 403)
    posted = client.post(f"/{a.slug}/forms/{COMMON_FORM}/withdraw", data={"w": b.extra["withdraw"]})
    assert posted.status_code in (400, 403) and b.extra["receipt"] not in posted.get_data(as_text=True)
    # B's LINE link, opened under A: refused as a link (A's follower of that row id would be someone else).
    linked = app.test_client().get(f"/{a.slug}/forms/{COMMON_FORM}?t={b.extra['link']}", follow_redirects=True)
    assert "LINE から開いたリンクが正しくありません" in linked.get_data(as_text=True)
    _unchanged(app, b, before)
    # In B, B's own links work: the management page shows B's receipt, and the LINE link is taken.
    own = app.test_client().get(f"/{b.slug}/forms/{COMMON_FORM}/manage?w={b.extra['withdraw']}",
                                follow_redirects=True)
    assert own.status_code == 200 and b.extra["receipt"] in own.get_data(as_text=True)
    taken = app.test_client().get(f"/{b.slug}/forms/{COMMON_FORM}?t={b.extra['link']}", follow_redirects=True)
    assert taken.status_code == 200 and "リンクが正しくありません" not in taken.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------------------------
# Jobs

def _delivered(fake_line) -> dict[str, set[str]]:
    """Return the recipients of each notice LINE was asked to multicast, by the notice's title."""
    sent: dict[str, set[str]] = {}
    for call in fake_line.calls("/v2/bot/message/multicast"):
        titles = re.findall(r"(芦別だけの|美瑛だけの)配信予定", json.dumps(call.body, ensure_ascii=False))
        assert len(set(titles)) == 1, "one town's notice per message"
        sent.setdefault(titles[0], set()).update((call.body or {}).get("to", []))
    return sent


def _status(town: Town, notice_id: int) -> str:
    with use_town(town.id):
        return db.session.scalar(select(Notice.status).where(Notice.id == notice_id))


def test_send_due_for_one_town_leaves_the_other_alone(towns, fake_line):
    app, a, b = towns
    with app.app_context():
        before = snapshot(b)
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["notices", "send-due", "--town", a.slug, "--wait", "5"])
    assert result.exit_code == 0, result.output
    _unchanged(app, b, before)
    with app.app_context():
        assert _status(a, a.rows[Notice][2][0]) == "sent"
    assert set(_delivered(fake_line)) == {a.mark}


def test_every_towns_jobs_work_inside_their_own_town(towns, fake_line, request):
    """send-due, logs purge and forms purge with no --town: every town in turn, each with its own rows."""
    app, a, b = towns
    request.getfixturevalue("no_default_town")  # as in production: a job starts in no town
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notices", "send-due", "--wait", "5"])
    assert result.exit_code == 0, result.output
    sent = _delivered(fake_line)
    with app.app_context():
        for town in (a, b):
            assert _status(town, town.rows[Notice][2][0]) == "sent"
            with use_town(town.id):
                followers = set(db.session.scalars(select(Follower.line_user_id)))
                quitter = db.session.get(Follower, _follower_ids(town)[2]).line_user_id
                batches = db.session.scalars(select(OutboxBatch)).all()
                assert all(set(batch.user_ids) <= followers for batch in batches)
            # Each town's followers (the opted-out one aside) got its notice, and only they.
            assert sent[town.mark] == followers - {quitter}, town.slug
        db.session.remove()

    # logs purge: each town's old question and event go, its recent ones stay.
    result = runner.invoke(args=["logs", "purge", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert f"{a.slug}: deleted 1 question log rows and 1 event records" in result.output
    assert f"{b.slug}: deleted 1 question log rows and 1 event records" in result.output
    with app.app_context():
        for town in (a, b):
            with use_town(town.id):
                texts = set(db.session.scalars(select(QuestionLog.text)))
                assert f"{town.mark}古い質問" not in texts and f"{town.mark}火事です" in texts
                assert all(t.startswith(town.mark) or town.mark not in t for t in texts)
        db.session.remove()

    # forms purge: only B keeps its applications for 0 days; A's stay.
    with app.app_context():
        with use_town(b.id):
            db.session.add(FormSetting(slug=COMMON_FORM, retention_days=1))
            db.session.execute(update(FormSubmission).values(created_at=utcnow() - timedelta(days=5)))
            db.session.commit()
        with use_town(a.id):
            db.session.execute(update(FormSubmission).values(created_at=utcnow() - timedelta(days=5)))
            db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["forms", "purge"])
    assert result.exit_code == 0, result.output
    assert f"{b.slug}: 保存期間を過ぎた申込み 1件" in result.output and f"{a.slug}: 保存期間を過ぎた申込み 0件" in result.output
    with app.app_context():
        with use_town(a.id):
            assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 1
        with use_town(b.id):
            assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 0
        db.session.remove()


def test_the_notice_worker_delivers_each_towns_notices_in_that_town(towns, fake_line, request):
    app, a, b = towns
    request.getfixturevalue("no_default_town")
    app.config["NOTICE_POLL_SECONDS"] = 0.05
    from bot.notices import worker

    stop = threading.Event()

    def run():
        with app.app_context():
            worker.run(stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(_delivered(fake_line)) < 2:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    sent = _delivered(fake_line)
    with app.app_context():
        for town in (a, b):
            with use_town(town.id):
                followers = set(db.session.scalars(select(Follower.line_user_id)))
            assert sent.get(town.mark) and sent[town.mark] <= followers, town.slug
            assert _status(town, town.rows[Notice][2][0]) == "sent"
        db.session.remove()
