"""Bar charts as SVG drawn on the server: no scripts, readable in print, with a title and description."""
from __future__ import annotations

from markupsafe import Markup, escape


def bars(chart_id: str, title: str, desc: str, data: list[tuple[str, int]], *, width: int = 640, height: int = 220) -> Markup:
    """Return an accessible vertical bar chart of labelled counts."""
    cid = escape(chart_id)
    top, bottom, left, right = 24, 36, 32, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    biggest = max([n for _, n in data] + [1])
    slot = plot_w / max(len(data), 1)
    bar_w = max(min(slot * 0.7, 48), 2)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'aria-labelledby="{cid}-t {cid}-d"><title id="{cid}-t">{escape(title)}</title>'
             f'<desc id="{cid}-d">{escape(desc)}</desc>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#333"/>']
    for i, (label, n) in enumerate(data):
        h = plot_h * n / biggest
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="#1d5fa8">'
                     f'<title>{escape(label)}：{n}件</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" '
                     f'fill="#111">{n}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="11" '
                     f'fill="#111">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(chart_id: str, title: str, desc: str, data: list[tuple[str, int]], *, width: int = 420) -> Markup:
    """Return an accessible horizontal bar chart (long Japanese labels fit on the left)."""
    cid = escape(chart_id)
    row, left, right = 24, 130, 40
    height = row * max(len(data), 1) + 8
    biggest = max([n for _, n in data] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'aria-labelledby="{cid}-t {cid}-d"><title id="{cid}-t">{escape(title)}</title>'
             f'<desc id="{cid}-d">{escape(desc)}</desc>']
    for i, (label, n) in enumerate(data):
        y = 4 + i * row
        w = (width - left - right) * n / biggest
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#111">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="#2f7d4f">'
                     f'<title>{escape(label)}：{n}件</title></rect>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="12" fill="#111">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

