"""The KPI board's Japanese names (audit actions and the fields its audit rows carry), registered in bot.core.labels."""
from __future__ import annotations

from bot.core import labels

labels.register(actions={
    "kpi.import": "KPIを取り込み",
    "kpi.actual": "KPIの実績を入力",
    "kpi.withdraw": "KPIの実績を取り消し",
    "kpi.export": "KPIをCSVで書き出し",
}, fields={
    "kpi_value": "実績値",
    "as_of": "集計日",
    "withdrawn_reason": "取り消しの理由",
})
