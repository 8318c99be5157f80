"""Japanese labels for the codes the console stores: audit actions, entry fields and values, match reasons."""
from __future__ import annotations

from typing import Any

from bot.core.audit import actor_label  # noqa: F401  (re-exported: the console's pages name actors)
from bot.inbox.store import OUTCOME_LABELS  # noqa: F401
from bot.knowledge.labels import FIELD_LABELS, REVISION_REASONS, STATUS_LABELS, reason_label  # noqa: F401

# One name per audit action; a code missing here shows as その他の操作 (the code stays in the tooltip).
AUDIT_ACTIONS = {
    "login": "ログイン",
    "login.lockout": "ログインを一時停止（失敗が続いたため）",
    "logout": "ログアウト",
    "user.create": "ユーザーを作成",
    "user.update": "ユーザーの役割・状態を変更",
    "user.password": "パスワードを変更",
    "user.password_reset": "パスワードを再発行",
    "user.grant_confirm": "管理者の権限付与を確認（承認）",
    "user.grant_refuse": "管理者の権限付与を拒否",
    "user.sessions_ended": "すべての端末をログアウト",
    "entry.create": "回答を作成",
    "entry.edit": "回答を編集",
    "entry.rollback": "回答を以前の版に戻す",
    "entry.alternate": "想定質問を追加",
    "entry.import": "回答を取り込み",
    "entry.archive": "回答をアーカイブ",
    "entry.restore": "回答を復元",
    "entry.review_resolved": "確認メモを対応済みにする",
    "entry.category": "回答のカテゴリ名を変更",
    "import": "ファイルから取り込み",
    "inbox.alternate": "受信箱：想定質問に追加",
    "inbox.dismiss": "受信箱：対応不要にする",
    "inbox.handled": "受信箱：職員対応の希望を対応済み（折り返し済み）にする",
    "inbox.new_entry": "受信箱：新しい回答を作成",
    "inbox.check": "受信箱：緊急・要配慮のメッセージを確認済みにする",
    "category.create": "カテゴリを追加",
    "category.rename": "カテゴリの名前を変更",
    "category.reorder": "カテゴリの並び順を変更",
    "notice.create": "お知らせを作成",
    "notice.edit": "お知らせを編集",
    "notice.request": "お知らせの承認を依頼",
    "notice.approve": "お知らせを承認",
    "notice.send_back": "お知らせを差し戻し",
    "notice.withdraw": "お知らせの承認依頼を取り下げ",
    "notice.cancel": "お知らせを取り消し",
    "notice.unpublish": "お知らせの掲載を取り下げ",
    "notice.test_send": "お知らせをテスト送信",
    "notice.test_recipient.add": "テスト送信先を登録",
    "notice.test_recipient.remove": "テスト送信先を削除",
    "office.create": "担当課を追加",
    "office.edit": "担当課を編集",
    "office.import": "担当課を取り込み",
    "town.disaster_on": "災害時モードに切り替え",
    "town.disaster_off": "災害時モードを終了",
    "application.list": "申込みの一覧を表示",
    "application.view": "申込みの内容を表示",
    "application.export": "申込みをCSVで書き出し",
    "application.status": "申込みの状態を変更",
    "application.memo": "申込みのメモを変更",
    "application.delete": "申込みを削除（本人の求め）",
    "application.purge": "申込みを削除（保存期間の経過）",
    "form.paper": "紙の登録者数を変更",
    "form.retention": "申込みの保存期間を変更",
    "form.edit": "フォームの定義を変更",
    "user.applications": "申込み担当の付与・解除",
    "town.settings": "町の設定を変更",
    "town.settings_reset": "町の設定を初期値に戻す",
    "richmenu.edit": "リッチメニューを編集",
    "richmenu.import": "リッチメニューを取り込み",
    "richmenu.image_upload": "リッチメニューの画像を登録",
    "richmenu.image_clear": "リッチメニューの画像を削除",
    "richmenu.publish": "リッチメニューをLINEに公開",
    "richmenu.confirm": "リッチメニューの変更内容を確認",
    "signage.facility.add": "サイネージの施設を登録",
    "signage.facility.edit": "サイネージの施設を変更",
    "signage.facility.delete": "サイネージの施設を削除",
    "signage.screen.add": "サイネージの画面を追加",
    "signage.screen.rekey": "サイネージの画面のURLを再発行",
    "signage.screen.retire": "サイネージの画面を廃止",
    "shelter.create": "避難所を追加",
    "shelter.edit": "避難所を編集",
    "shelter.import": "避難所を取り込み",
    "shelter.status": "避難所の開設状況を変更",
}

_VALUES: dict[str, dict[Any, str]] = {
    "status": STATUS_LABELS,
    "archived": {True: "アーカイブ", False: "アーカイブしない"},
    "role": {"admin": "管理者", "editor": "編集者"},
    "active": {True: "ログインできる", False: "ログインできない"},
    "handles_applications": {True: "申込み担当", False: "申込み担当でない"},
    "application_status": {"new": "新規", "confirmed": "確認済み", "in_progress": "対応中", "done": "完了", "cancelled": "取消"},
    "channels": {"line": "LINE", "signage": "サイネージ", "web": "公開ページ"},
}


def action_label(code: str) -> str:
    """Return the Japanese name of an audit action."""
    return AUDIT_ACTIONS.get(code, "その他の操作")


def field_label(key: str) -> str:
    """Return the Japanese name of an entry field (or other stored key)."""
    return FIELD_LABELS.get(key) or {"archived": "アーカイブ", "role": "役割", "active": "ログイン",
                                     "email": "メールアドレス", "question": "質問", "count": "件数",
                                     "reason": "理由", "ids": "質問の番号",
                                     "handles_applications": "申込み担当", "application_status": "申込みの状態",
                                     "paper_registrations": "紙の登録者数", "retention_days": "保存期間（日）",
                                     "form": "フォーム", "channel": "経路", "since": "受付日（から）",
                                     "until": "受付日（まで）", "search": "検索語",
                                     "name": "市町村名", "phone": "代表電話",
                                     "hours": "受付時間", "website": "ホームページ", "disaster_banner": "災害時の帯",
                                     "disaster_greeting": "災害時のあいさつ",
                                     "power_name": "電力会社の名前", "power_contact": "電力会社の連絡先",
                                     "water_name": "水道の問い合わせ先の名前", "water_contact": "水道の連絡先", "channels": "配信先",
                                     "facilities": "サイネージの施設", "display_from": "表示の開始",
                                     "display_until": "表示の終了", "menu_id": "LINEのメニューID",
                                     "default": "友だち全員に表示", "on": "災害時モード"}.get(key, key)


def value_label(key: str, value: Any) -> Any:
    """Return a stored value as staff read it (公開 for published); other values unchanged."""
    labels = _VALUES.get(key)
    if labels is None:
        return value
    if isinstance(value, list):  # several codes, as a notice's channels
        return [labels.get(v, v) if isinstance(v, (str, int)) else v for v in value]
    try:
        return labels.get(value, value)
    except TypeError:  # an unhashable value (a list) has no label
        return value


def readable(data: Any) -> Any:
    """Return audit before/after data with Japanese keys and values, for display."""
    if isinstance(data, dict):
        return {field_label(str(k)): value_label(str(k), v) for k, v in data.items()}
    return data
