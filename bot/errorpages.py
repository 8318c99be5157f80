"""Error pages in Japanese: a title and a plain explanation for each HTTP error a person can meet."""
from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import HTTPException

from bot.core.tenancy import TOWN_ENVIRON

TITLES = {
    400: "受け付けられませんでした",
    403: "このページは表示できません",
    404: "ページが見つかりません",
    405: "この操作はできません",
    429: "しばらく待ってからお試しください",
    500: "エラーが発生しました",
    503: "ただいま利用できません",
}
MESSAGES = {
    400: "送られた内容に問題があったため、受け付けませんでした。何も変更していません。前の画面に戻って、もう一度お試しください。",
    403: "このページを表示する権限がありません。",
    404: "お探しのページは見つかりませんでした。URLが正しいかご確認ください。",
    405: "このページではその操作はできません。前の画面に戻ってください。",
    429: "短い時間に多くの操作があったため、少し待ってからもう一度お試しください。",
    500: "申し訳ありません。処理中に問題が起きました。時間をおいてもう一度お試しください。",
    503: "ただいま混み合っているか、準備中です。しばらくしてからもう一度お試しください。",
}


def page_text(exc: HTTPException) -> tuple[str, str]:
    """Return the Japanese title and explanation to show a person for an HTTP error."""
    code = exc.code or 500
    message = exc.description or ""
    # A view that aborts with its own words (in Japanese) keeps them; werkzeug's English defaults do not reach people.
    if message.isascii():
        message = MESSAGES.get(code, MESSAGES[500])
    return TITLES.get(code, TITLES[500]), message


def home_path() -> str:
    """Return the top page of the request's town: its prefix ("/<slug>/"), or "/" when the prefix names no town
    this request could serve (unknown or suspended: its top would be an error page too)."""
    root = request.script_root
    slug = request.environ.get(TOWN_ENVIRON)
    if slug and g.get("town_id") is None and root.endswith("/" + slug):
        root = root[:-len(slug) - 1]
    return root + "/"
