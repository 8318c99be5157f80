"""The 受付完了メール: the receipt number and the management link, nothing else the resident entered."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from bot.models import FormSubmission

log = logging.getLogger(__name__)

# What send_receipt did, for the done page to say truthfully.
SENT, FAILED, NOT_CONFIGURED, NO_ADDRESS = "sent", "failed", "off", "none"


def configured() -> bool:
    """Tell whether an SMTP server is set (SMTP_HOST and SMTP_FROM)."""
    return bool(current_app.config.get("SMTP_HOST") and current_app.config.get("SMTP_FROM"))


def receipt_message(row: FormSubmission, manage_url: str, *, updated: bool) -> EmailMessage:
    """Return the receipt mail: form title, receipt number, the management link; no answer is repeated."""
    config = current_app.config
    title = row.version.title if row.version else row.form_slug
    what = "登録内容の更新" if updated else "申込み"
    message = EmailMessage()
    message["Subject"] = f"【{config['TOWN_NAME']}】{what}を受け付けました（受付番号 {row.receipt_no}）"
    message["From"] = config["SMTP_FROM"]
    message["To"] = str((row.answers or {}).get("email") or "")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(
        f"「{title}」の{what}を受け付けました。\n\n"
        f"受付番号：{row.receipt_no}\n\n"
        "登録内容の確認・変更・取消しは、次のリンクからできます。このリンクは受付番号ごとのものです。"
        "ほかの人には教えないでください。\n"
        f"{manage_url}\n\n"
        "お問い合わせのときは、受付番号をお伝えください。\n"
        "このメールに心当たりがない場合は、上のリンクから取り消すか、"
        f"{config['TOWN_CONTACT']}へご連絡ください。\n\n"
        f"{config['TOWN_NAME']}\n"
        "（このメールは送信専用です。返信はできません）\n")
    return message


def send_receipt(row: FormSubmission, manage_url: str, *, updated: bool) -> str:
    """Send the receipt mail to the address the resident gave; return SENT, FAILED, NOT_CONFIGURED or NO_ADDRESS."""
    address = str((row.answers or {}).get("email") or "").strip()
    if not address:
        return NO_ADDRESS
    if not configured():
        log.info("form %s: submission %s has an e-mail address, but no SMTP server is set", row.form_slug,
                 row.receipt_no)
        return NOT_CONFIGURED
    config = current_app.config
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(receipt_message(row, manage_url, updated=updated))
    except (OSError, ValueError, smtplib.SMTPException) as exc:
        # The address is personal data: the log names the receipt number and the kind of failure only.
        log.warning("form %s: receipt mail for submission %s failed (%s)", row.form_slug, row.receipt_no,
                    type(exc).__name__)
        return FAILED
    log.info("form %s: receipt mail for submission %s sent", row.form_slug, row.receipt_no)
    return SENT
