"""One SVG chart per KPI, drawn on the server: the baseline, the actuals by date and the target, with a title and a
description for screen readers; every text escaped; no script, no inline style (the CSP allows neither)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from bot.kpi.pack import number_text, year_label
from bot.kpi.store import NOT_ENTERED, Reading

WIDTH, HEIGHT = 360, 190
TOP, BOTTOM, LEFT, RIGHT = 22, 40, 8, 8


def _head(cid: str, title: str, desc: str, height: int = HEIGHT) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" role="img" viewBox="0 0 {WIDTH} {height}" '
            f'aria-labelledby="{cid}-t {cid}-d"><title id="{cid}-t">{escape(title)}</title>'
            f'<desc id="{cid}-d">{escape(desc)}</desc>')


def _label(day: date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def chart(r: Reading, points: list[tuple[date, Decimal]], chart_id: str) -> Markup:
    """Return the KPI's chart: a bar for the baseline, one per dated actual, one for the target."""
    k = r.kpi
    cid = str(escape(chart_id))
    if k.kind == "milestone":
        return _milestone(r, cid)
    bars: list[tuple[str, Decimal | None, str]] = [(f"基準 {year_label(k.baseline.get('year', ''))}", r.baseline, "base")]
    if r.live and r.value is not None:
        bars.append((f"現在 {_label(r.as_of)}" if r.as_of else "現在", r.value, "actual"))
    else:
        bars += [(_label(day), value, "actual") for day, value in points]
    goal = r.goal_value
    goal_name = "維持する値" if k.kind == "maintain" else f"目標 {year_label(k.target.get('year', ''))}"
    bars.append((goal_name, goal, "target"))
    biggest = max([v for _, v, _ in bars if v is not None] + [Decimal(1)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(bars)
    bar_w = min(slot * 0.64, 56)
    said = "、".join(f"{name} {number_text(v)}{k.unit}" if v is not None else f"{name} {NOT_ENTERED}" for name, v, _ in bars)
    if len(bars) == 2:
        said += f"、実績 {NOT_ENTERED}"
    parts = [_head(cid, f"{k.name}の推移", said),
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="axis"/>']
    if goal is not None:
        y = TOP + plot_h - float(goal / biggest) * plot_h
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="goal-line"/>')
    for i, (name, value, kind) in enumerate(bars):
        x = LEFT + slot * i + (slot - bar_w) / 2
        centre = x + bar_w / 2
        if value is None:
            parts.append(f'<text x="{centre:.1f}" y="{TOP + plot_h - 6}" text-anchor="middle" class="value">'
                         f'{escape(NOT_ENTERED)}</text>')
        else:
            h = float(value / biggest) * plot_h
            y = TOP + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" class="bar {kind}">'
                         f'<title>{escape(name)}：{escape(number_text(value))}{escape(k.unit)}</title></rect>')
            parts.append(f'<text x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle" class="value">'
                         f'{escape(number_text(value))}{escape(k.unit)}</text>')
        parts.append(f'<text x="{centre:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" class="label">'
                     f'{escape(name)}</text>')
    if len(bars) == 2:
        parts.append(f'<text x="{WIDTH / 2:.1f}" y="{TOP + plot_h + 33}" text-anchor="middle" class="label muted">'
                     f'実績は{escape(NOT_ENTERED)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _milestone(r: Reading, cid: str) -> Markup:
    """A milestone (計画の策定) as three steps: the baseline's state, the actual, the target's deadline."""
    k = r.kpi
    now = r.value_text if r.entered else NOT_ENTERED
    steps = [(f"基準 {year_label(k.baseline.get('year', ''))}", k.baseline.get("text", "")),
             ("現在", now), (f"目標 {year_label(k.target.get('year', ''))}", "計画策定")]
    height = 110
    parts = [_head(cid, f"{k.name}の状況", "、".join(f"{a} {b}" for a, b in steps), height),
             f'<line x1="60" y1="40" x2="{WIDTH - 60}" y2="40" class="axis"/>']
    for i, (name, text) in enumerate(steps):
        x = 60 + i * (WIDTH - 120) / 2
        done = (i == 1 and r.achieved) or (i == 2 and r.achieved)
        parts.append(f'<circle cx="{x:.1f}" cy="40" r="11" class="step{" done" if done else ""}"/>')
        parts.append(f'<text x="{x:.1f}" y="18" text-anchor="middle" class="label">{escape(name)}</text>')
        parts.append(f'<text x="{x:.1f}" y="74" text-anchor="middle" class="value">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

