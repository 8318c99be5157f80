"""`flask safety explain "…"`: which concepts a message holds and why it is, or is not, urgent (in Japanese)."""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from bot.core.problems import Invalid
from bot.safety import current_model, current_rules
from bot.safety import model as learned
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


def render_model(detector: Detector, model: learned.LearnedModel | None, message: str) -> list[str]:
    """Return the learned model's view of one message (P(urgent), class, n-grams, whether it answers)."""
    if model is None:
        return ["学習モデル：なし（safety-model.yaml がないか壊れています。ルールだけで判定します）"]
    op = model.opinion(message)
    rule = detector.rule(op.rule)
    title = rule.title if rule else op.rule
    lines = [f"学習モデル：緊急である確率 {op.urgent:.3f}（しきい値 {model.threshold}）、"
             f"いちばん近い種類「{op.label}」→ ルール {op.rule}（{title}）、その種類の割合 {op.share:.2f}"]
    push = model.contributions(message)
    if push:
        lines.append("  判定を押した文字の並び：" + "、".join(f"「{g}」{w:+.2f}" for g, w in push))
    if detector.match(message):
        lines.append("  → ルールが答えるので、学習モデルは使いません")
    elif len(message) > learned.MAX_CHARS:
        lines.append(f"  → {learned.MAX_CHARS}文字を超えるメッセージは学習モデルでは判定しません（ルールだけで判定します）")
    elif learned.second_opinion(detector, model, message):
        why = "ルールは意図（制度の質問・過去のこと・仮定など）で緊急ではないと判断しましたが" \
            if detector.explain(message).held_back else "ルールは何も見つけませんでしたが"
        lines.append(f"  → {why}、学習モデルが答えます：{title}（自動判定（学習モデル））")
    elif op.confident and not op.answers:
        lines.append(f"  → 確率はしきい値を超えていますが、種類「{op.label}」は answer_classes にないので、学習モデルは答えません"
                     f"（答えてよい種類：{'・'.join(model.answer_classes)}）")
    elif op.answers:
        lines.append("  → ルールが意図（制度の質問・過去のこと・仮定など）で緊急ではないと判断したので、学習モデルも答えません"
                     "（defer_to_intent: true）")
    else:
        lines.append("  → 学習モデルも答えません（確率がしきい値に届かないか、どの番号かがはっきりしません）")
    return lines


def render(detector: Detector, message: str, everything: bool = False,
           model: learned.LearnedModel | None = None) -> str:
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
        lines.append("結果：ルールでは緊急ではありません。")
    lines += render_model(detector, model, message)
    if not result.matched and not learned.second_opinion(detector, model, message):
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
    model = _model_beside(Path(path), detector) if path else current_model()
    click.echo(render(detector, " ".join(message), everything, model))


def _model_beside(path: Path, detector: Detector) -> learned.LearnedModel | None:
    model_path = path.with_name(learned.MODEL_FILE)
    if not model_path.is_file():
        return None
    try:
        return learned.read_file(model_path, [r.slug for r in detector.rules])
    except Invalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        return None


@safety_cli.command("train")
@click.option("--phrasings", "directory", type=click.Path(file_okay=False), default=None,
              help="言い回しのセットのフォルダ（既定は tests/safety/phrasings）。")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="書き出すファイル（既定は KNOWLEDGE_DIR の safety-model.yaml）。")
@click.option("--sets", default=",".join(learned.TUNED_SETS), show_default=True,
              help="学習に使うセット（カンマ区切り）。held・held2・fresh12・fresh13 は使えません。")
@click.option("--faq/--no-faq", default=False, show_default=True,
              help="パックの想定質問を「緊急ではない」例として加えます。")
def train(directory: str | None, out: str | None, sets: str, faq: bool) -> None:
    """調整済みの言い回しのセットから学習モデル（safety-model.yaml）を作ります。同じ入力からは同じファイルができます。"""
    names = [s.strip() for s in sets.split(",") if s.strip()]
    knowledge = Path(current_app.config["KNOWLEDGE_DIR"])
    directory = directory or str(Path(current_app.root_path).parent / "tests" / "safety" / "phrasings")
    target = Path(out) if out else knowledge / learned.MODEL_FILE
    try:
        learned.refuse_untuned(names)
        extra = learned.pack_questions(knowledge) if faq else []
        text = learned.train(directory, names, extra_none=extra, created_at=_created_at(target))
        slugs = [r.slug for r in read_file(knowledge / SAFETY_FILE).rules] if (knowledge / SAFETY_FILE).is_file() \
            else None
        model = learned.parse(text, slugs)
    except Invalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    old = target.read_text(encoding="utf-8") if target.is_file() else None
    if old is not None and _without_stamp(old) == _without_stamp(text):
        click.echo(f"{target}：学習結果は前と同じです（ファイルは変えません）")
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"{target} を書きました：{model.meta.get('examples')}件から学習、文字の並び{len(model.vocab)}個、"
               f"{len(text.encode()) // 1024}KB")


def _stamp_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.startswith("  created_at:")), "")


def _without_stamp(text: str) -> str:
    stamp = _stamp_line(text)
    return text.replace(stamp, "", 1) if stamp else text


def _created_at(target: Path) -> str | None:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now (the file is kept as it is when nothing else
    changed, so the same input gives the same file)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _current(directory: Path) -> Detector:
    if not (directory / SAFETY_FILE).is_file():
        raise Invalid(f"{directory / SAFETY_FILE} がありません", file=SAFETY_FILE)
    read_file(directory / SAFETY_FILE)  # a broken file is reported here, not silently replaced by the last good one
    return current_rules()
