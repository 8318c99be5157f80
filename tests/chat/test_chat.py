"""オンライン窓口 (issue 22): starting, passing messages to staff, the safety reply, replies by push, the end, the
four faults (LINE down during a reply, two staff at once, a resident who blocked the account, outside the hours)."""
from __future__ import annotations

import io
import json
import threading
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.chat import settings as counter_settings
from bot.chat import store
from bot.extensions import db
from bot.models import AuditLog, Chat, ChatMessage, QuestionLog, User
from tests.support import events
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, admin_client, console, editor_client, login,
)

REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
ASK = "職員と話したい"
QUESTION = "給食費ってタダになるの？"


def _open_counter(app, switch: str = "open") -> None:
    with app.app_context():
        counter_settings.set_switch(switch, "test")


def _texts(call) -> str:
    """Return everything a request's messages say (texts and flex bubbles alike)."""
    return json.dumps(call.body["messages"], ensure_ascii=False)


def _chat(app) -> tuple[int, str]:
    with app.app_context():
        chat = db.session.scalars(select(Chat).order_by(Chat.id.desc())).first()
        return chat.id, chat.status


def _start(console, webhook, fake_line) -> int:
    _open_counter(console)
    webhook([events.text(ASK)])
    assert "オンライン窓口におつなぎしました" in _texts(fake_line.calls(REPLY)[-1])
    assert "119番" in _texts(fake_line.calls(REPLY)[-1])
    chat_id, status = _chat(console)
    assert status == "open"
    return chat_id


def test_a_chat_passes_messages_to_staff_and_the_bot_steps_aside(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    replies = len(fake_line.calls(REPLY))
    webhook([events.text(QUESTION)])
    assert len(fake_line.calls(REPLY)) == replies  # the bot does not answer from the FAQ
    with console.app_context():
        chat = db.session.get(Chat, chat_id)
        assert [m.text for m in chat.messages] == [QUESTION] and chat.unread == 1
        audit = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "chat.open")).all()
        assert audit == ["chat.open"]
    page = admin_client.get(f"/admin/chat/{chat_id}").get_data(as_text=True)
    assert QUESTION in page
    assert "「職員と話したい」→ 職員対応の希望" in page  # the resident's recent questions to the bot
    response = admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "無償化の対象です。"})
    assert response.status_code == 302
    push = fake_line.calls(PUSH)[-1]
    assert push.body["to"] == events.USER and push.body["messages"][0]["text"] == "無償化の対象です。"
    assert push.retry_key
    # The resident ends it; the bot answers again.
    webhook([events.text("チャットを終える")])
    assert "チャットを終えました" in _texts(fake_line.calls(REPLY)[-1])
    webhook([events.text(QUESTION)])
    assert "学校給食費" in _texts(fake_line.calls(REPLY)[-1])
    with console.app_context():
        assert db.session.get(Chat, chat_id).status == "ended"


def test_an_urgent_message_in_a_chat_gets_the_safety_reply_at_once_and_is_flagged(console, webhook, fake_line):
    chat_id = _start(console, webhook, fake_line)
    webhook([events.text("家が火事です 090-1234-5678")])
    reply = _texts(fake_line.calls(REPLY)[-1]) + str(fake_line.calls(REPLY)[-1].body)
    assert "119" in reply
    with console.app_context():
        message = db.session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat_id)).one()
        assert message.flag == "urgent"
        logged = db.session.scalars(select(QuestionLog).where(QuestionLog.outcome == "safety")).one()
        assert "090-1234-5678" not in logged.text  # the inbox copy is masked; the chat keeps what staff need


def test_staff_end_the_chat_and_the_resident_is_told(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    assert admin_client.post(f"/admin/chat/{chat_id}/end").status_code == 302
    assert "職員とのチャットを終了しました" in fake_line.calls(PUSH)[-1].body["messages"][0]["text"]
    webhook([events.text(QUESTION)])
    assert "学校給食費" in _texts(fake_line.calls(REPLY)[-1])


def test_a_reply_during_a_line_outage_is_kept_unsent_and_resent(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    fake_line.inject(PUSH, status=500)
    response = admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "確認します"}, follow_redirects=True)
    assert "送れていません" in response.get_data(as_text=True)
    fake_line.inject(PUSH, status=0, delay=1.0)  # then no answer in time (timeout 0.5 s)
    with console.app_context():
        message = db.session.scalars(select(ChatMessage).where(ChatMessage.sender == "staff")).one()
        assert (message.status, message.text) == ("unsent", "確認します")
        message_id = message.id
    page = admin_client.get(f"/admin/chat/{chat_id}").get_data(as_text=True)
    assert "未送信" in page and "再送信" in page
    admin_client.post(f"/admin/chat/{chat_id}/resend/{message_id}")
    with console.app_context():
        assert db.session.get(ChatMessage, message_id).status == "unsent"  # timed out: still kept, still unsent
    admin_client.post(f"/admin/chat/{chat_id}/resend/{message_id}")
    with console.app_context():
        assert db.session.get(ChatMessage, message_id).status == "sent"
    # LINE delivered it once, whatever the tries: the retry key is the message's own.
    assert fake_line.delivered(PUSH).count(events.USER) == 1 or \
        len({c.retry_key for c in fake_line.calls(PUSH)}) == 1


def test_two_staff_replying_at_once_both_land_in_order(console, webhook, fake_line):
    chat_id = _start(console, webhook, fake_line)
    fake_line.latency = 0.2
    clients = []
    for email in (ADMIN, EDITOR):
        client = console.test_client()
        assert login(client, email).status_code == 302
        clients.append(client)
    with console.app_context():
        db.session.scalar(select(User).where(User.email == EDITOR)).handles_chat = True
        db.session.commit()
    barrier = threading.Barrier(2)
    results = []

    def send(client, text):
        barrier.wait()
        results.append(client.post(f"/admin/chat/{chat_id}/reply", data={"text": text}).status_code)

    try:
        threads = [threading.Thread(target=send, args=(c, t)) for c, t in zip(clients, ("一つめ", "二つめ"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        fake_line.latency = 0.0
    assert results == [302, 302]
    with console.app_context():
        stored = db.session.scalars(select(ChatMessage).where(ChatMessage.sender == "staff")
                                    .order_by(ChatMessage.id)).all()
        assert [m.status for m in stored] == ["sent", "sent"]
        order = [m.text for m in stored]
    delivered = [c.body["messages"][0]["text"] for c in fake_line.calls(PUSH) if c.status == 200]
    assert delivered == order  # each once, in the order they were stored


def test_a_resident_who_blocked_the_account_is_shown(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    fake_line.inject(PUSH, status=403, body={"message": "The user hasn't added the LINE Official Account as a friend."})
    admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "お待たせしました"})
    with console.app_context():
        assert db.session.get(Chat, chat_id).blocked is True
    page = admin_client.get(f"/admin/chat/{chat_id}").get_data(as_text=True)
    assert "届きません" in page
    listing = admin_client.get("/admin/chat/list").get_data(as_text=True)
    assert "届きません" in listing


def test_a_chat_asked_outside_the_hours_waits_and_says_when_the_counter_opens(console, webhook, fake_line,
                                                                             admin_client):
    with console.app_context():
        counter_settings.save({"chat_hours": "08:30-17:15", "chat_days": "月火水木金", "chat_switch": "closed"}, "test")
    webhook([events.text(ASK)])
    said = _texts(fake_line.calls(REPLY)[-1])
    assert "受付時間外" in said and "次に窓口が開くのは" in said and "芦別市役所" in said  # and whom to call
    chat_id, status = _chat(console)
    assert status == "waiting"
    webhook([events.text(QUESTION)])
    assert "学校給食費" in _texts(fake_line.calls(REPLY)[-1])  # the bot still answers while it waits
    assert "時間外の受付" in admin_client.get("/admin/chat/list").get_data(as_text=True)
    admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "おはようございます。担当です。"})
    assert _chat(console)[1] == "open"  # the next staff member took it up


def test_the_list_answers_304_until_something_changes(console, webhook, fake_line, admin_client):
    _start(console, webhook, fake_line)
    first = admin_client.get("/admin/chat/list")
    tag = first.headers["ETag"]
    assert admin_client.get("/admin/chat/list", headers={"If-None-Match": tag}).status_code == 304
    webhook([events.text(QUESTION)])
    again = admin_client.get("/admin/chat/list", headers={"If-None-Match": tag})
    assert again.status_code == 200 and "1件" in again.get_data(as_text=True)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (43.0, 31.0, 0.0), 3: "E", 4: (142.0, 11.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_fetched_stored_without_exif_and_served_to_staff_only(console, webhook, fake_line, admin_client,
                                                                         editor_client):
    chat_id = _start(console, webhook, fake_line)
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()
    fake_line.contents["5551"] = ("image/jpeg", raw)
    webhook([events.image("5551")])
    with console.app_context():
        message = db.session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat_id)).one()
        assert message.image is not None and message.image_type == "image/jpeg"
        assert not Image.open(io.BytesIO(message.image)).getexif()  # GPS and everything else gone
        message_id = message.id
    response = admin_client.get(f"/admin/chat/photo/{message_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in response.headers["Cache-Control"]
    assert editor_client.get(f"/admin/chat/photo/{message_id}").status_code == 403  # not 窓口担当


def test_a_photo_that_is_not_an_image_or_too_many_is_refused_with_a_reply(console, webhook, fake_line):
    chat_id = _start(console, webhook, fake_line)
    fake_line.contents["6661"] = ("image/jpeg", b"not an image at all")
    webhook([events.image("6661")])
    with console.app_context():
        message = db.session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat_id)).one()
        assert message.image is None and "受け取れませんでした" in message.text
    console.config["CHAT_PHOTOS_PER_CHAT"] = 1
    webhook([events.image("6662")])
    assert "写真を受け取れませんでした" in _texts(fake_line.calls(REPLY)[-1])


@pytest.mark.parametrize("text, expected", [
    ("", "返信の文を入力してください"),
    ("あ" * 2001, "2000文字以内"),
])
def test_a_bad_reply_is_refused_in_japanese_and_kept_in_the_box(console, webhook, fake_line, admin_client, text,
                                                                expected):
    chat_id = _start(console, webhook, fake_line)
    response = admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": text})
    assert response.status_code == 400 and expected in response.get_data(as_text=True)
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.sender == "staff")) == 0


def test_the_push_quota_refuses_a_reply_once_used_up(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    with console.app_context():
        counter_settings.save({"chat_push_quota": "1"}, "test")
    assert admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "一通め"}).status_code == 302
    response = admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "二通め"})
    assert response.status_code == 400 and "上限（1通）" in response.get_data(as_text=True)
    assert "今月のプッシュメッセージ" in admin_client.get("/admin/chat").get_data(as_text=True)


@pytest.mark.parametrize("values, field", [
    ({"chat_hours": "8時から"}, "受付時間は 08:30-17:15 の形"),
    ({"chat_hours": "17:00-09:00"}, "終わりは始まりより後"),
    ({"chat_days": "月曜"}, "曜日の漢字"),
    ({"chat_quiet_minutes": "0"}, "自動で終える時間"),
    ({"chat_push_quota": "たくさん"}, "月の送信上限は整数"),
    ({"chat_retention_days": "-1"}, "保存期間"),
])
def test_bad_settings_are_refused_in_japanese(console, admin_client, values, field):
    with console.app_context():
        current = counter_settings.raw_values()
    data = {k: v for k, v in current.items() if k not in ("chat_switch", "chat_mark_read")}
    data.update(values)
    response = admin_client.post("/admin/chat/settings", data=data)
    assert response.status_code == 400 and field in response.get_data(as_text=True)


def test_mark_as_read_uses_the_token_when_the_town_turns_it_on(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    fake_line.contents["7771"] = ("image/jpeg", _jpeg_with_gps())
    webhook([events.image("7771")])
    admin_client.get(f"/admin/chat/{chat_id}")
    assert fake_line.read_tokens == []  # off by default
    with console.app_context():
        counter_settings.save({"chat_mark_read": "on"}, "test")
    webhook([events.image("7772")])
    admin_client.get(f"/admin/chat/{chat_id}")
    assert fake_line.read_tokens == ["read-7772"]


def test_a_quiet_chat_ends_and_the_bot_answers_again(console, webhook, fake_line):
    chat_id = _start(console, webhook, fake_line)
    with console.app_context():
        chat = db.session.get(Chat, chat_id)
        chat.last_activity_at = chat.last_activity_at - timedelta(hours=3)
        db.session.commit()
    webhook([events.text(QUESTION)])
    said = _texts(fake_line.calls(REPLY)[-1])
    assert "前回の職員とのチャットは終了しました" in said and "学校給食費" in said
    assert _chat(console)[1] == "ended"


def test_editors_without_the_permission_cannot_read_chats(console, webhook, fake_line, editor_client):
    chat_id = _start(console, webhook, fake_line)
    assert editor_client.get("/admin/chat").status_code == 403
    assert "窓口担当" in editor_client.get(f"/admin/chat/{chat_id}").get_data(as_text=True)


def test_open_close_and_purge_commands(console, runner, webhook, fake_line):
    result = runner.invoke(args=["chat", "open"])
    assert result.exit_code == 0, result.output
    with console.app_context():
        assert counter_settings.current().is_open()
    result = runner.invoke(args=["chat", "close"])
    assert result.exit_code == 0, result.output
    with console.app_context():
        assert not counter_settings.current().is_open()
    _start(console, webhook, fake_line)
    webhook([events.text("チャットを終える")])
    with console.app_context():
        chat = db.session.scalars(select(Chat)).one()
        chat.ended_at = chat.ended_at - timedelta(days=400)
        db.session.commit()
    result = runner.invoke(args=["chat", "purge", "--days", "30"])
    assert result.exit_code == 0 and "deleted 1" in result.output, result.output
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChatMessage)) == 0
        assert store.figures().weeks  # figures still count with nothing left


def test_the_overview_shows_chats_per_week_the_median_first_reply_and_long_waits(console, webhook, fake_line,
                                                                                  admin_client):
    chat_id = _start(console, webhook, fake_line)
    admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "はい"})
    with console.app_context():
        chat = db.session.get(Chat, chat_id)
        chat.first_reply_at = chat.opened_at + timedelta(minutes=90)  # answered after an hour and a half
        db.session.commit()
        figures = store.figures()
    assert figures.weeks[-1][1] == 1 and figures.median_first_reply_minutes == 90.0 and figures.waited_over_hour == 1
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert 'id="counter-median">90分' in page and 'id="counter-waited">1件' in page


def test_chat_text_never_reaches_the_logs(console, webhook, fake_line, admin_client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    secret = "旭町3丁目の山田花子です 090-1234-5678"
    chat_id = _start(console, webhook, fake_line)
    webhook([events.text(secret)])
    fake_line.inject(PUSH, status=500)
    admin_client.post(f"/admin/chat/{chat_id}/reply", data={"text": "山田様、確認します"})
    admin_client.get(f"/admin/chat/{chat_id}")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "山田" not in logged and "090-1234-5678" not in logged and events.USER not in logged


@pytest.mark.parametrize("text, talk", [("職員と話したい", True), ("担当者につないでください", True),
                                        ("代表電話の番号を教えて", False), ("市役所は何時まで", False)])
def test_only_asking_for_a_person_starts_a_chat(console, webhook, fake_line, text, talk):
    _open_counter(console)
    webhook([events.text(text)])
    with console.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Chat)) == 1) is talk


def test_opening_a_chat_and_reading_it_are_in_the_audit_log_in_japanese(console, webhook, fake_line, admin_client):
    chat_id = _start(console, webhook, fake_line)
    admin_client.get(f"/admin/chat/{chat_id}")
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "オンライン窓口のチャットを開始" in page and "住民（LINE）" in page
    assert "オンライン窓口のチャットを閲覧" in page


def test_a_photo_the_webhook_had_no_time_for_is_fetched_when_staff_open_the_chat(console, webhook, fake_line,
                                                                                admin_client):
    chat_id = _start(console, webhook, fake_line)
    fake_line.contents["8881"] = ("image/jpeg", _jpeg_with_gps())
    console.config["WEBHOOK_BUDGET_SECONDS"] = 0.0  # the webhook's time is spent before the photo
    webhook([events.image("8881")])
    with console.app_context():
        assert db.session.scalars(select(ChatMessage.image).where(ChatMessage.chat_id == chat_id)).one() is None
    assert "住民が送った写真" in admin_client.get(f"/admin/chat/{chat_id}").get_data(as_text=True)
    with console.app_context():
        assert db.session.scalars(select(ChatMessage.image).where(ChatMessage.chat_id == chat_id)).one()


def test_the_chat_shows_the_residents_recent_questions_masked_with_the_bots_answers(console, webhook, fake_line,
                                                                                    admin_client):
    webhook([events.text("給食費ってタダになるの？ 090-1234-5678")])
    chat_id = _start(console, webhook, fake_line)
    page = admin_client.get(f"/admin/chat/{chat_id}").get_data(as_text=True)
    assert "給食費ってタダになるの？ ［電話］" in page and "090-1234-5678" not in page
    assert "→ 回答「学校給食費" in page
