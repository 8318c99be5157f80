"""Console forms of the KPI board: one actual value with its date and source, and withdrawing one."""
from __future__ import annotations

from wtforms import StringField
from wtforms.validators import Length

from bot.core.inputs import JapaneseForm


class ActualForm(JapaneseForm):
    """An actual value; the rules (number, unit, date, source) live in bot.kpi.store.record_actual."""

    value = StringField("実績値", validators=[Length(max=40, message="40文字以内で入力してください")],
                        description="数字だけを入力します（単位は不要です）。例：38、12.4")
    as_of = StringField("集計日", validators=[Length(max=20, message="2025-03-31 の形で入力してください")],
                        description="この実績がいつ時点の数字か。例：2025-03-31（年度末）")
    source = StringField("出典", validators=[Length(max=400, message="200文字以内で入力してください")],
                         description="数字の出どころ。例：令和6年度 市民課の集計（公開ページに載ります）")
    note = StringField("メモ", validators=[Length(max=1000, message="500文字以内で入力してください")],
                       description="職員向けのメモ（公開ページには載りません）。")


class WithdrawForm(JapaneseForm):
    """Withdraw one mistaken actual: it stays in the history, marked with who and why."""

    reason = StringField("取り消しの理由", validators=[Length(max=400, message="200文字以内で入力してください")])
