"""`flask safety explain "…"`: which concepts a message holds and why it is, or is not, urgent (in Japanese)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from bot.core.problems import Invalid
from bot.safety import current_rules
from bot.safety.detector import BUILTIN, FLAGS, Detector, Explanation
from bot.safety.rules import SAFETY_FILE, read_file

safety_cli = AppGroup("safety", help="緊急のご案内（knowledge/safety.yaml）の判定を確かめます。")

_LANGUAGES = {"ja": "日本語", "en": "英語", "zh": "中国語", "ko": "韓国語", "vi": "ベトナム語", "pt": "ポルトガル語"}


def _label(detector: Detector, key: str) -> str:
    if key.startswith("!"):
        return f"緊急ではない／緊急の合図「{key[1:]}」"
    concept = detector.lexicon.concepts.get(key)
    if concept is not None:
        return concept.label
    return BUILTIN.get(key, key)


def render(detector: Detector, message: str, everything: bool = False) -> str:
    """Return the explanation of one message as lines of Japanese text."""
    result: Explanation = detector.explain(message)
    lines = [f"メッセージ：{message}", f"言語：{_LANGUAGES.get(result.language, result.language)}"]
    if not result.sentences:
        lines.append("（空のメッセージです）")
    for n, (sentence, hits) in enumerate(result.sentences, 1):
        lines.append(f"文{n}：「{sentence.strip()}」")
        if not hits:
            lines.append("  見つかった概念：なし")
            continue
        lines.append("  見つかった概念：")
        by_concept: dict[str, list[str]] = {}
        for hit in hits:
            seen = f"「{hit.seen}」" if hit.seen and hit.seen != hit.word else ""
            by_concept.setdefault(hit.concept, []).append(f"{hit.word}{seen}（{hit.how}）")
        for key, words in by_concept.items():
            name = "決まった言い方" if key.startswith("@") else _label(detector, key)
            lines.append(f"    {name} [{key}]：{'、'.join(dict.fromkeys(words))}")
    lines.append("ルールごとの判定：")
    shown = 0
    for verdict in result.verdicts:
        if not everything and not verdict.fired and verdict.reason == "当てはまる組み合わせがない":
            continue
        shown += 1
        mark = "○" if verdict.fired else "×"
        lines.append(f"  {mark} {verdict.slug}：{verdict.reason}")
    if not shown:
        lines.append("  （どのルールの組み合わせもそろいませんでした）")
    if result.matched:
        names = "、".join(f"{r.title}【{FLAGS.get(r.flag, r.flag)}】" for r in result.matched)
        numbers = "・".join(dict.fromkeys(n for r in result.matched for n in r.numbers))
        lines.append(f"結果：緊急の返信をします → {names}（電話ボタン：{numbers}）")
    else:
        lines.append("結果：緊急ではありません。ふだんの答え（FAQ）を探します。")
    return "\n".join(lines)


@safety_cli.command("explain")
@click.argument("message", nargs=-1, required=True)
@click.option("--all", "everything", is_flag=True, help="当てはまらなかったルールもすべて表示します。")
@click.option("--file", "path", type=click.Path(dir_okay=False), default=None,
              help="この safety.yaml で判定します（既定は KNOWLEDGE_DIR の safety.yaml）。")
def explain(message: tuple[str, ...], everything: bool, path: str | None) -> None:
    """メッセージのどの言葉がどの概念に当たり、なぜ緊急か（緊急でないか）を表示します。"""
    try:
        detector = read_file(path).detector() if path else _current(Path(current_app.config["KNOWLEDGE_DIR"]))
    except Invalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    click.echo(render(detector, " ".join(message), everything))


def _current(directory: Path) -> Detector:
    if not (directory / SAFETY_FILE).is_file():
        raise Invalid(f"{directory / SAFETY_FILE} がありません", file=SAFETY_FILE)
    read_file(directory / SAFETY_FILE)  # a broken file is reported here, not silently replaced by the last good one
    return current_rules()
