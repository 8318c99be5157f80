"""The 受付完了メール through a real SMTP server on 127.0.0.1 (aiosmtpd), and a done page that tells the truth."""
from __future__ import annotations

import email
import logging
import re
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tests.forms.support import GOOD, apply, receipt

PERSONAL = ("芦別 花子", "あしべつ はなこ", "東京都", "世田谷区", "芦別出身", "ふるさと納税", "観光")


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                               policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(loaded_app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    loaded_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="noreply@example.jp",
                             SMTP_STARTTLS=False, SMTP_USER="", SMTP_PASSWORD="", SMTP_TIMEOUT=5.0)
    yield inbox
    controller.stop()


def test_an_applicant_gets_the_receipt_number_and_the_management_link_and_no_other_personal_data(
        loaded_app, smtp, caplog):
    with caplog.at_level(logging.DEBUG):
        done = apply(loaded_app.test_client())
    number = receipt(done)
    assert "入力されたメールアドレスに送りました" in done
    assert len(smtp.messages) == 1
    to, message = smtp.messages[0]
    assert to == ["hanako@example.jp"] and message["To"] == "hanako@example.jp"
    assert number in message["Subject"] and message["From"] == "noreply@example.jp"
    body = message.get_content()
    assert f"受付番号：{number}" in body
    for value in PERSONAL:
        assert value not in body and value not in str(message["Subject"])
    link = re.search(r"http://localhost/forms/supporters-club/manage\?w=\S+", body).group(0)
    # The link works in another browser: exchanged for a cookie, then the registration's own page.
    client = loaded_app.test_client()
    page = client.get(link[len("http://localhost"):], follow_redirects=True).get_data(as_text=True)
    assert number in page and "登録を取り消す" in page and "登録内容を変更する" in page
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))  # not the server's
    assert "hanako@example.jp" not in ours  # the address is personal data: never logged
    assert f"receipt mail for submission {number} sent" in caplog.text


def test_an_update_through_the_management_link_sends_a_new_receipt(loaded_app, smtp):
    client = loaded_app.test_client()
    number = receipt(apply(client))
    page = client.get("/forms/supporters-club?change=1").get_data(as_text=True)
    from tests.forms.support import hidden, post_submit

    confirm = client.post("/forms/supporters-club", data={**GOOD, "f-city": "目黒区", "m": "1", "step": "confirm",
                                                           "csrf_token": hidden(page, "csrf_token")})
    post_submit(client, confirm.get_data(as_text=True))
    assert [m["Subject"] for _, m in smtp.messages][1].startswith("【芦別市】登録内容の更新を受け付けました")
    assert number in smtp.messages[1][1]["Subject"] and "目黒区" not in smtp.messages[1][1].get_content()


def test_without_an_address_no_mail_and_nothing_said_about_one(loaded_app, smtp):
    done = apply(loaded_app.test_client(), dict(GOOD, **{"f-email": ""}))
    assert smtp.messages == [] and "メール" not in done.split("fm-receipt-no")[1].split("登録内容を変えるとき")[0]
    assert "ブックマーク" in done  # no mail carries the management link: the page offers it to keep


def test_without_smtp_settings_the_done_page_says_no_mail_was_sent(loaded_app):
    loaded_app.config.update(SMTP_HOST="", SMTP_FROM="")
    done = apply(loaded_app.test_client())
    assert "受付完了メールは送っていません" in done and "メールアドレスに送りました" not in done
    assert "ブックマーク" in done


def test_an_unreachable_smtp_server_is_said_truthfully_and_loses_nothing(loaded_app, caplog):
    loaded_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port(), SMTP_FROM="noreply@example.jp",
                             SMTP_STARTTLS=False, SMTP_TIMEOUT=2.0)
    with caplog.at_level(logging.WARNING):
        done = apply(loaded_app.test_client())
    assert receipt(done) and "受付完了メールを送ることができませんでした" in done
    assert "メールアドレスに送りました" not in done and "ブックマーク" in done
    assert "receipt mail for submission" in caplog.text and "hanako@example.jp" not in caplog.text


def test_smtp_settings_come_from_the_environment(monkeypatch, tmp_path):
    from bot.config import from_environment

    for name, value in (("SMTP_HOST", "smtp.example.jp"), ("SMTP_PORT", "2525"), ("SMTP_USER", "bot"),
                        ("SMTP_PASSWORD", "secret"), ("SMTP_FROM", "noreply@example.jp"), ("SMTP_STARTTLS", "false"),
                        ("SMTP_TIMEOUT", "3")):
        monkeypatch.setenv(name, value)
    settings = from_environment(str(tmp_path))
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"], settings["SMTP_USER"], settings["SMTP_PASSWORD"],
            settings["SMTP_FROM"], settings["SMTP_STARTTLS"], settings["SMTP_TIMEOUT"]) == (
        "smtp.example.jp", 2525, "bot", "secret", "noreply@example.jp", False, 3.0)
    monkeypatch.delenv("SMTP_STARTTLS")
    assert from_environment(str(tmp_path))["SMTP_STARTTLS"] is True  # on unless switched off
