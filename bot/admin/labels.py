"""The console's own Japanese names (sign-in and staff accounts), registered in the core label registry.

Every feature names its own codes in its own `labels.py`; the lookups are in `bot.core.labels`."""
from __future__ import annotations

from bot.core import labels

labels.register(
    actions={
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
    },
    actors={"system": "システム（自動）"},  # the sign-in lock
    fields={"role": "役割", "active": "ログイン", "email": "メールアドレス"},
    values={"role": {"admin": "管理者", "editor": "編集者"}, "active": {True: "ログインできる", False: "ログインできない"}},
)
