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
    "kpi_name": "KPI",
    "kpi_measure": "指標",
    "kpi_baseline": "基準値",
    "kpi_target": "目標値",
    "kpi_where": "計画での位置",
    "kpi_kind": "目標の種類",
    "kpi_live": "自動集計",
    "count": "件数",
})
