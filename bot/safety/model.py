"""The learned second opinion (issue 18): a small softmax regression over character n-grams, asked only when the
rules find nothing.

The model is a reviewed pack file, knowledge/safety-model.yaml, written by `flask safety train` from the tuned
phrasing sets (tests/safety/phrasings) and checked by `kb check`. Its classes are *which number to give*; each maps
to a rule of safety.yaml whose reply, numbers and call buttons the resident then gets. Features: the character
1…n-grams of the detector's norm() text (NFKC, hiragana, no punctuation), binary, each message scaled by
1/sqrt(its number of distinct n-grams), so a weight pruned away changes nothing else. Inference is one gather and
sum over the message's known n-grams (numpy), well under 0.1 ms.

A broken or missing file never costs the rules anything: the app then answers with the rules alone.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np
import yaml

from bot.core.problems import Invalid, Problem
from bot.matching.normalize import nfkc
from bot.matching.tokenize import raw_units
from bot.safety.detector import norm

MODEL_FILE = "safety-model.yaml"
LEMMA = "L:"  # the prefix of a Sudachi normalised-form feature
MAX_MODEL_BYTES = 3 * 1024 * 1024
FORMAT = 1
CLASSES = ("none", "119", "110", "8000", "crisis", "189", "8008", "help")
# The rule whose reply (text, numbers, call buttons) the model's answer gives.
RULE_OF_CLASS = {"119": "medical", "110": "crime", "8000": "child-night-illness", "crisis": "crisis",
                 "189": "child-abuse", "8008": "domestic-violence", "help": "emergency-contacts"}
CLASS_OF_CATEGORY = {
    "fire": "119", "illness": "119", "accident": "119", "carbon-monoxide": "119", "gas": "119",
    "crime": "110", "animal": "110", "child-night": "8000", "ingestion": "8000", "crisis": "crisis",
    "child-abuse": "189", "domestic-violence": "8008",
}
# The sets trained on by default: every set that has been opened for tuning. A new blind set is never added here
# by itself; it joins (with --sets) only once it has been measured and opened for tuning.
TUNED_SETS = ("tune", "dev", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8",
              "fresh9", "fresh10", "fresh11", "probes")
# Never training data: the honest, never-tuned measurements.
NEVER_TRAIN = frozenset({"held", "held2", "fresh12", "fresh13"})
# Chosen by leave-one-set-out cross-validation on the tuned sets (bench/safety_model_eval.py, docs/benchmarks.md).
SETTINGS = {"n": 3, "threshold": 0.9, "clear": 0.5, "l2": 1e-4, "epochs": 300, "lr": 0.05, "prune": 0.01,
            "decimals": 3, "min_count": 1,
            "defer": False, "lemmas": True, "answer_classes": ("crisis",)}
# Which classes the model may answer with. Only the crisis lines: asked about everyday complaints it was never shown
# (「水がでない」「テレビが映らない」「エンジンがかからない」, 10 of 36 such probes), the model gave 119 with
# P(urgent) 0.90-0.96, and in a disaster a water outage told to call 119 would send residents to a line they must keep
# free; a crisis line offered by mistake costs little, a crisis message missed costs most (docs/safety.md).

# What leave-one-set-out cross-validation on the tuned sets measured for SETTINGS (bench/safety_model_eval.py), kept
# in the file's meta for review. "before_round": fresh9, fresh10 and fresh11 scored with the pack and detector of just
# before each was opened for tuning (the honest rules-alone of the time), the model trained on every other set.
CV = {
    "command": ".venv/bin/python -m bench.safety_model_eval --grid 3",
    "before_round_rules_alone": {"urgent": "555/635", "crisis": "120/135", "misfired": "7/482"},
    "before_round_rules_and_model": {"urgent": "586/635", "crisis": "128/135", "misfired": "7/482"},
    "model_alone_out_of_fold": {"urgent_right": "979/1797", "misfired": "2/1347"},
    "probes_fold_misfired": "2/80",
}

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- the training data ------------------------------------------------------------------------------------------

class Example(NamedTuple):
    text: str
    label: str  # one of CLASSES
    set: str
    category: str


def _expectation(spec: dict) -> frozenset[str]:
    if spec.get("expect") in (None, "none"):
        values = spec.get("expect_any") or []
    else:
        values = [spec["expect"]] + list(spec.get("expect_any") or [])
    return frozenset(str(v).replace("-", "").replace("＃", "#") for v in values)


def label_of(category: str, expect: Iterable[str], lookalike: bool) -> str:
    """Return the class a phrasing is trained as: which number it needs, or none for a look-alike."""
    if lookalike:
        return "none"
    if category in CLASS_OF_CATEGORY:
        return CLASS_OF_CATEGORY[category]
    e = set(expect)  # other-languages: by its own expectation
    if e == {"119"}:
        return "119"
    if e == {"110"}:
        return "110"
    if "#8000" in e and "110" not in e:
        return "8000"
    return "help"


def refuse_untuned(sets: Iterable[str]) -> None:
    """Raise Invalid when a never-tuned set (held, held2, fresh12, fresh13) is asked for as training data."""
    bad = sorted(set(sets) & NEVER_TRAIN)
    if bad:
        raise Invalid(f"{'・'.join(bad)} は一度も調整に使っていない評価用のセットです。学習には使えません", "sets")


def read_phrasings(directory: str | Path, sets: Sequence[str]) -> tuple[list[Example], dict[str, dict[str, Any]]]:
    """Return the examples of the given sets (file by file in name order) and, per file, its sha256 and count."""
    refuse_untuned(sets)
    directory = Path(directory)
    examples: list[Example] = []
    files: dict[str, dict[str, Any]] = {}
    for name in sets:
        paths = sorted(directory.glob(f"*.{name}.yaml"))
        if not paths:
            raise Invalid(f"{directory} に *.{name}.yaml がありません", "sets")
        for path in paths:
            data = path.read_bytes()
            spec = yaml.load(data, Loader=_LOADER)
            category = spec["category"]
            default = _expectation(spec)
            lookalike = category.startswith("lookalike-")
            n = 0
            for item in spec["phrasings"]:
                text, expect = (item["text"], _expectation(item)) if isinstance(item, dict) else (str(item), default)
                examples.append(Example(text, label_of(category, expect, lookalike or not expect), name, category))
                n += 1
            files[path.name] = {"sha256": hashlib.sha256(data).hexdigest(), "count": n}
    return examples, files


# -- features ---------------------------------------------------------------------------------------------------

def grams(text: str, n: int, lemmas: bool = False) -> list[str]:
    """Return the distinct character 1…n-grams of norm(text), ^ and $ marking the message's ends, in order; with
    lemmas, also each Sudachi unit's normalised form as "L:<form>" (倒れとる and たおれて both give L:倒れる)."""
    t = "^" + norm(text) + "$"
    out = list(dict.fromkeys(t[i:i + k] for k in range(1, n + 1) for i in range(len(t) - k + 1)))
    return out + lemma_features(text) if lemmas else out


def lemma_features(text: str) -> list[str]:
    """Return the distinct Sudachi normalised forms of a message as "L:<form>", sorted (norm() drops ':', so no
    character n-gram looks like one)."""
    return sorted({LEMMA + form for _, form, _ in raw_units(nfkc(text).lower())})


# The model judges messages up to this long. The longest phrasing it learnt from has 220 characters: beyond, it has
# no evidence (a long message is diluted by its many everyday n-grams), and the rules read long messages sentence by
# sentence. It also bounds the model's cost on the rare long messages.
MAX_CHARS = 250
SHORT_TEXT = 40  # characters: up to this, a message's n-grams are looked up in the dict; beyond, with numpy
_SHIFT = 21  # a code point fits in 21 bits; +1 so that 0 means "no character"


def _key(gram: str) -> int:
    """Return an n-gram (n ≤ 3) as one int64: its code points + 1, 21 bits each, first character highest."""
    key = 0
    for i, ch in enumerate(gram):
        key |= (ord(ch) + 1) << (_SHIFT * (2 - i))
    return key


def gram_keys(text: str, n: int) -> np.ndarray:
    """Return the distinct 1…n-grams of norm(text) (n ≤ 3) as sorted int64 keys: the same n-grams as grams()."""
    c = np.frombuffer(("^" + norm(text) + "$").encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    parts = [c << (2 * _SHIFT)]
    if n >= 2:
        parts.append((c[:-1] << (2 * _SHIFT)) | (c[1:] << _SHIFT))
    if n >= 3:
        parts.append((c[:-2] << (2 * _SHIFT)) | (c[1:-1] << _SHIFT) | c[2:])
    return np.unique(np.concatenate(parts))


def _matrix(texts: Sequence[str], n: int, vocab: dict[str, int], lemmas: bool = False
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return rows (one per n-gram found), indices into vocab, values (1/sqrt(distinct n-grams of the text))."""
    rows, indices, values = [], [], []
    for r, text in enumerate(texts):
        gs = grams(text, n, lemmas)
        idx = sorted(vocab[g] for g in gs if g in vocab)
        rows.extend([r] * len(idx))
        indices.extend(idx)
        values.extend([1.0 / math.sqrt(max(len(gs), 1))] * len(idx))
    return np.array(rows, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(values, dtype=np.float64)


def _scores(W: np.ndarray, b: np.ndarray, X, m: int) -> np.ndarray:
    rows, indices, values = X
    contrib = W[indices] * values[:, None]
    out = np.zeros((m, W.shape[1]))
    for c in range(W.shape[1]):
        out[:, c] = np.bincount(rows, weights=contrib[:, c], minlength=m)
    return out + b


def _softmax(S: np.ndarray) -> np.ndarray:
    S = S - S.max(axis=-1, keepdims=True)
    P = np.exp(S)
    return P / P.sum(axis=-1, keepdims=True)


def fit(texts: Sequence[str], labels: Sequence[str], n: int = 3, l2: float = 1e-4, epochs: int = 300,
        lr: float = 0.05, min_count: int = 1, lemmas: bool = False) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return (vocabulary, W, b): softmax regression, full-batch Adam with L2, over the n-grams found in at least
    min_count training texts; deterministic for the same input."""
    seen: dict[str, int] = {}
    for text in texts:
        for g in grams(text, n, lemmas):
            seen[g] = seen.get(g, 0) + 1
    vocab = {g: i for i, g in enumerate(g for g, c in seen.items() if c >= min_count)}
    X = _matrix(texts, n, vocab, lemmas)
    rows, local, values = X
    m, k = len(texts), len(CLASSES)
    Y = np.eye(k)[np.array([CLASSES.index(label) for label in labels], dtype=np.int64)]
    W, b = np.zeros((len(vocab), k)), np.zeros(k)
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros(k), np.zeros(k)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        G = (_softmax(_scores(W, b, X, m)) - Y) / m
        g_nnz = G[rows] * values[:, None]
        gW = np.zeros_like(W)
        for c in range(k):
            gW[:, c] = np.bincount(local, weights=g_nnz[:, c], minlength=len(vocab))
        gW += l2 * W
        gb = G.sum(axis=0)
        mW = b1 * mW + (1 - b1) * gW
        vW = b2 * vW + (1 - b2) * gW ** 2
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb ** 2
        W -= lr * (mW / (1 - b1 ** t)) / (np.sqrt(vW / (1 - b2 ** t)) + eps)
        b -= lr * (mb / (1 - b1 ** t)) / (np.sqrt(vb / (1 - b2 ** t)) + eps)
    return list(vocab), W, b


def compact(vocab: Sequence[str], W: np.ndarray, b: np.ndarray, prune: float, decimals: int
            ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the weights as the file keeps them: each n-gram's row centred (softmax does not see a shift shared by
    every class), weights below prune dropped, rounded; n-grams left with nothing are left out."""
    W = W - W.mean(axis=1, keepdims=True)
    W = np.where(np.abs(W) < prune, 0.0, np.round(W, decimals))
    b = np.round(b - b.mean(), decimals)
    keep = np.flatnonzero(np.abs(W).sum(axis=1) > 0)
    order = sorted(keep, key=lambda i: vocab[i])
    return [vocab[i] for i in order], W[order] + 0.0, b + 0.0  # + 0.0: no -0.0 in the file


def proba_many(vocab: dict[str, int], W: np.ndarray, b: np.ndarray, texts: Sequence[str], n: int,
               lemmas: bool = False) -> np.ndarray:
    """Return P(class) for many messages at once (training and cross-validation)."""
    return _softmax(_scores(W, b, _matrix(texts, n, vocab, lemmas), len(texts)))


def pack_questions(directory: str | Path) -> list[str]:
    """Return every FAQ entry's questions (想定質問) in a pack directory, file by file in name order."""
    out: list[str] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        raw = yaml.load(path.read_bytes(), Loader=_LOADER)
        if isinstance(raw, dict) and isinstance(raw.get("questions"), list) and "slug" in raw:
            out += [str(q) for q in raw["questions"] if isinstance(q, str)]
    return out


# -- the model as the app uses it -------------------------------------------------------------------------------

class Opinion(NamedTuple):
    """The model's view of one message."""

    urgent: float  # P(urgent) = 1 − P(none)
    label: str  # the most likely urgent class
    share: float  # that class's share of P(urgent)
    answers: bool  # urgent ≥ threshold, share ≥ clear and label in answer_classes: it answers with that rule
    rule: str  # the rule it would answer with
    confident: bool = False  # urgent ≥ threshold and share ≥ clear, whatever the class


@dataclass
class LearnedModel:
    """The weights of safety-model.yaml and the settings it answers with."""

    classes: tuple[str, ...]
    rules: dict[str, str]
    n: int
    threshold: float
    clear: float
    vocab: dict[str, int]
    W: np.ndarray
    b: np.ndarray
    meta: dict[str, Any]
    defer: bool = False  # True: silent too when a rule's words were there but an intent kept it out
    lemmas: bool = False  # Sudachi normalised forms ("L:<form>") beside the character n-grams
    answer_classes: tuple[str, ...] = ()  # the classes it may answer with (empty: every urgent class)

    def __post_init__(self) -> None:
        # The n-grams as sorted int64 keys (gram_keys), so that a message's n-grams are found with one
        # np.unique and one np.searchsorted instead of a Python loop over every slice of its text.
        chars = [(g, i) for g, i in self.vocab.items() if not g.startswith(LEMMA)]
        keys = np.array([_key(g) for g, _ in chars], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._rows = np.array([i for _, i in chars], dtype=np.int64)[order]

    def proba(self, text: str) -> list[float]:
        """Return P(class) for one message."""
        if len(text) <= SHORT_TEXT:
            # A short message (most of them): a few dozen n-grams, found faster by the dict than by numpy.
            t = "^" + norm(text) + "$"
            gs = set(t)
            for k in range(2, self.n + 1):
                gs.update([t[i:i + k] for i in range(len(t) - k + 1)])
            if self.lemmas:
                gs.update(lemma_features(text))
            idx = sorted(i for i in map(self.vocab.get, gs) if i is not None)  # one order: the same sum always
            count = len(gs)
        else:
            q = gram_keys(text, self.n)
            pos = np.searchsorted(self._keys, q)
            pos[pos == len(self._keys)] = 0
            idx = self._rows[pos[self._keys[pos] == q]] if len(self._keys) else pos[:0]
            count = len(q)
            if self.lemmas:
                forms = lemma_features(text)
                idx = np.concatenate([idx, np.array([i for i in map(self.vocab.get, forms) if i is not None],
                                                    dtype=np.int64)])
                count += len(forms)
        s = (np.add.reduce(self.W[idx], axis=0) * (1.0 / math.sqrt(max(count, 1))) + self.b).tolist()
        top = max(s)
        e = [math.exp(x - top) for x in s]
        total = sum(e)
        return [x / total for x in e]

    def opinion(self, text: str) -> Opinion:
        """Return P(urgent), the most likely urgent class and whether the model would answer."""
        p = self.proba(text)
        urgent = 1.0 - p[0]
        top = max(range(1, len(p)), key=p.__getitem__)
        share = p[top] / urgent if urgent > 0 else 0.0
        label = self.classes[top]
        confident = urgent >= self.threshold and share >= self.clear
        allowed = not self.answer_classes or label in self.answer_classes
        return Opinion(urgent, label, share, confident and allowed, self.rules[label], confident)

    def contributions(self, text: str, k: int = 8) -> list[tuple[str, float]]:
        """Return the n-grams of one message that push most towards its most likely urgent class over none."""
        gs = grams(text, self.n, self.lemmas)
        c = self.classes.index(self.opinion(text).label)
        scale = 1.0 / math.sqrt(max(len(gs), 1))
        push = [(g, float((self.W[self.vocab[g], c] - self.W[self.vocab[g], 0]) * scale)) for g in gs
                if g in self.vocab]
        return sorted(push, key=lambda x: (-x[1], x[0]))[:k]


def top_grams(vocab: Sequence[str], W: np.ndarray, k: int = 15, min_len: int = 2) -> dict[str, list[str]]:
    """Return, per urgent class, the n-grams (min_len characters or more) that push most towards it over none."""
    names = np.array(list(vocab), dtype=object)
    keep = np.array([len(g) >= min_len for g in names]) if len(names) else np.zeros(0, bool)
    out = {}
    for c, name in enumerate(CLASSES):
        if name == "none":
            continue
        push = np.where(keep, W[:, c] - W[:, 0], -np.inf)
        order = np.lexsort((names.astype(str), -push)) if len(names) else []
        out[name] = [str(names[i]) for i in order[:k] if np.isfinite(push[i])]
    return out


# -- the file ---------------------------------------------------------------------------------------------------

HEADER = """\
# 緊急メッセージの「学習モデル」（二番目の判定）— safety-model.yaml
#
# これは何か：住民のメッセージの文字の並び（1〜{n}文字）から、緊急の連絡先が要るか、要るならどの番号か
#   （119・110・#8000・相談窓口・189・#8008）を確率で見積もる小さなモデルです。
# いつ答えるか：safety.yaml のルールが何も見つけなかったときだけ使います。ルールが答えたメッセージには口を出しません。
#   緊急である確率が {threshold} 以上で、どの番号かがはっきりしていて、その種類が answer_classes にあるときだけ、
#   下の classes で対応づけた safety.yaml のルールと同じ返信（文面・番号・電話ボタン）を返します。
#   いまは相談窓口（crisis）だけです。119 などの種類は「水がでない」「テレビが映らない」のような日常の困りごとにも
#   高い確率を出したため、住民には答えさせていません（確率は explain で見られます）。
#   職員の受信箱と概況では「緊急／要配慮」の印に加えて「自動判定（学習モデル）」と表示されます。確かめてください。
# 壊れていたら：kb check が日本語で知らせます。アプリはこのファイルを使わず、ルールだけで判定を続けます。
#   このファイルを消しても同じです（ルールはなくなりません）。
# 作り直し方：flask --app app safety train （tests/safety/phrasings の調整済みのセットから学習し、このファイルを書きます。
#   同じ入力からは同じファイルができます。評価専用のセット held・held2・fresh12・fresh13 は学習に使えません）。
#   作り直したら flask --app app safety explain "…" で確かめ、kb check を通してください。
# 確認する人：safety.yaml と同じく、緊急対応の担当職員と開発者が変更を読んでから取り込みます。
#   top_ngrams は各番号へ判定を強く押す文字の並びです。おかしなものがないか見てください。
#   weights は手で書き換えないでください（作り直してください）。
"""


def _num(x: float) -> str:
    s = repr(float(x))
    return s[:-2] if s.endswith(".0") else s


def dump(vocab: Sequence[str], W: np.ndarray, b: np.ndarray, meta: dict[str, Any], settings: dict[str, Any]) -> str:
    """Return the text of safety-model.yaml: the Japanese header, meta, the top n-grams and the weights."""
    q = lambda s: json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    lines = [HEADER.format(n=settings["n"], threshold=settings["threshold"]).rstrip("\n"), f"format: {FORMAT}"]
    lines.append("classes:  # 判定の種類 → 答えに使う safety.yaml のルール")
    lines += [f"  {q(c)}: {q(RULE_OF_CLASS.get(c, ''))}" if c != "none" else '  "none": ""' for c in CLASSES]
    lines += [f"ngrams: {settings['n']}", f"threshold: {_num(settings['threshold'])}",
              f"clear: {_num(settings['clear'])}",
              f"lemmas: {'true' if settings['lemmas'] else 'false'}  # true: 文字の並びに加えて、Sudachi の基本形"
              "（L:倒れる など）も使います",
              f"defer_to_intent: {'true' if settings['defer'] else 'false'}  # true: ルールが意図（制度の質問・過去・仮定）で"
              "緊急ではないと判断したメッセージには、学習モデルも答えません",
              f"answer_classes: [{', '.join(q(c) for c in settings['answer_classes'])}]  # 学習モデルが答えてよい種類。"
              "ほかの種類は explain に確率を出すだけで、住民には答えません", "meta:"]
    for key, value in meta.items():
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False, sort_keys=True)}")
    lines.append("top_ngrams:  # 各番号へ判定を強く押す文字の並び（確認用）")
    for name, gs in top_grams(vocab, W).items():
        lines.append(f"  {q(name)}: [{', '.join(q(g) for g in gs)}]")
    lines.append(f"bias: [{', '.join(_num(x) for x in b)}]")
    # One JSON array a line inside a YAML block: read by libyaml as one string and by json at once (fast).
    lines.append(f"weights: |  # 1行に1つ：[\"文字の並び\", {', '.join(CLASSES)} の重み]（0 は省いた小さな重み）")
    for g, row in zip(vocab, W):
        lines.append(f"  [{q(g)},{','.join(_num(x) for x in row)}]")
    return "\n".join(lines) + "\n"


def _problem(where: str, message: str) -> Problem:
    return Problem(MODEL_FILE, where, message)


def parse(text: str, rule_slugs: Iterable[str] | None = None) -> LearnedModel:
    """Return the model of a safety-model.yaml text, or raise Invalid listing what is wrong (in Japanese).

    rule_slugs: the rules of safety.yaml; every class must map to one of them."""
    try:
        raw = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}行目" if mark else "-"
        raise Invalid([_problem(where, "YAML として読み取れません。flask safety train で作り直してください")]) from None
    if not isinstance(raw, dict):
        raise Invalid([_problem("-", "学習モデルの形になっていません。flask safety train で作り直してください")])
    problems: list[Problem] = []
    if raw.get("format") != FORMAT:
        problems.append(_problem("format", f"形式の番号が {FORMAT} ではありません"))
    classes = raw.get("classes")
    if not isinstance(classes, dict) or list(classes)[:1] != ["none"] or len(classes) < 2 \
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in classes.items()):
        problems.append(_problem("classes", "classes は none から始まる「種類: ルール名」の並びにしてください"))
        classes = {}
    known = set(rule_slugs) if rule_slugs is not None else None
    for name, slug in list(classes.items())[1:]:
        if not slug:
            problems.append(_problem("classes", f"{name} に答えるルールがありません"))
        elif known is not None and slug not in known:
            problems.append(_problem("classes", f"{name} のルール「{slug}」が safety.yaml にありません"))
    n, threshold, clear = raw.get("ngrams"), raw.get("threshold"), raw.get("clear")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 3:
        problems.append(_problem("ngrams", "ngrams は 1〜3 の整数にしてください"))
    for key, value in (("threshold", threshold), ("clear", clear)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
            problems.append(_problem(key, f"{key} は 0 より大きく 1 より小さい数にしてください"))
    lemmas = raw.get("lemmas", False)
    if not isinstance(lemmas, bool):
        problems.append(_problem("lemmas", "lemmas は true か false にしてください"))
    defer = raw.get("defer_to_intent", False)
    if not isinstance(defer, bool):
        problems.append(_problem("defer_to_intent", "defer_to_intent は true か false にしてください"))
    answer_classes = raw.get("answer_classes", [])
    if not isinstance(answer_classes, list) or not all(c in list(classes)[1:] for c in answer_classes):
        problems.append(_problem("answer_classes", "answer_classes は classes にある種類（none 以外）の並びにしてください"))
        answer_classes = []
    k = len(classes)
    bias, weights = raw.get("bias"), raw.get("weights")
    b = W = None
    try:
        b = np.array(bias, dtype=np.float64)
        if b.shape != (k,) or not np.isfinite(b).all():
            raise ValueError
    except (TypeError, ValueError):
        problems.append(_problem("bias", f"bias は {k} 個の数にしてください（classes と同じ数）"))
    vocab: dict[str, int] = {}
    rows = None
    if not isinstance(weights, str) or not weights.strip():
        problems.append(_problem("weights", "weights がありません"))
    else:
        try:
            rows = json.loads("[" + ",".join(line for line in weights.splitlines() if line.strip()) + "]")
        except ValueError:
            problems.append(_problem("weights", "weights の行が読み取れません（1行に [\"文字の並び\", 重み…] の形です）"))
    if rows is not None:
        bad = next((i for i, row in enumerate(rows) if not isinstance(row, list) or len(row) != k + 1
                    or not isinstance(row[0], str)), None)
        if bad is not None:
            problems.append(_problem("weights", f"{bad + 1}行目：どの行も文字の並びと {k} 個の重み（classes と同じ数）にしてください"))
        else:
            try:
                W = np.array([row[1:] for row in rows], dtype=np.float64)
                if W.shape != (len(rows), k) or not np.isfinite(W).all():
                    raise ValueError
                vocab = {row[0]: i for i, row in enumerate(rows)}
                if len(vocab) != len(rows):
                    problems.append(_problem("weights", "同じ文字の並びが2回あります"))
                chars = [g for g in vocab if not g.startswith(LEMMA)]
                longest = max(map(len, chars), default=0)
                if longest > (n if isinstance(n, int) and 1 <= n <= 3 else 3) or min(map(len, vocab), default=1) < 1:
                    problems.append(_problem("weights", "文字の並びが ngrams より長いか、空です"))
            except (TypeError, ValueError):
                problems.append(_problem("weights", f"重みは数にしてください（各行 {k} 個）"))
    if problems:
        raise Invalid(problems)
    meta = raw.get("meta") if isinstance(raw.get("meta"), dict) else {}
    return LearnedModel(tuple(classes), {c: s for c, s in classes.items() if c != "none"}, n, float(threshold),
                        float(clear), vocab, W, b, meta, bool(defer), bool(lemmas), tuple(answer_classes))


def read_file(path: str | Path, rule_slugs: Iterable[str] | None = None) -> LearnedModel:
    """Return the checked model of a safety-model.yaml file, or raise Invalid."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        raise Invalid([_problem("-", "ファイルを読めません")]) from None
    if len(data) > MAX_MODEL_BYTES:
        raise Invalid([_problem("-", f"ファイルが大きすぎます（{MAX_MODEL_BYTES // 1024 // 1024}MBまで）")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid([_problem("-", "UTF-8 のテキストではありません")]) from None
    return parse(text, rule_slugs)


def train(directory: str | Path, sets: Sequence[str] = TUNED_SETS, extra_none: Sequence[str] = (),
          settings: dict[str, Any] | None = None, created_at: str | None = None, cv: dict | None = None) -> str:
    """Train on the phrasing sets (never held, held2, fresh12, fresh13) and return the file's text."""
    s = {**SETTINGS, **(settings or {})}
    examples, files = read_phrasings(directory, sets)
    texts = [e.text for e in examples] + list(extra_none)
    labels = [e.label for e in examples] + ["none"] * len(extra_none)
    vocab, W, b = fit(texts, labels, s["n"], s["l2"], s["epochs"], s["lr"], s["min_count"], s["lemmas"])
    vocab, W, b = compact(vocab, W, b, s["prune"], s["decimals"])
    counts = {c: labels.count(c) for c in CLASSES}
    meta = {
        "created_at": created_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_sets": list(sets),
        "files": files,
        "examples": len(texts),
        "by_class": counts,
        "extra_none": len(extra_none),
        "settings": {k: s[k] for k in ("l2", "epochs", "lr", "prune", "decimals", "min_count")},
        "ngrams_kept": len(vocab),
    }
    meta["cv"] = cv if cv is not None else (CV if list(sets) == list(TUNED_SETS) and not settings else {})
    return dump(vocab, W, b, meta, s)


def second_opinion(detector: Any, model: LearnedModel | None, text: str) -> tuple[Any, ...]:
    """Return the rule the model answers with, marked learned (P(urgent)), for a message the rules found nothing
    in; () when the model is unsure or, with defer, when the rules kept the message out on purpose (a rule's words
    were there but an intent, such as a question about a service or something past, made it not urgent).

    defer is off by default: in cross-validation it cost 3 of 635 urgent catches and spared no misfire
    (docs/benchmarks.md); a town can turn it on in the file."""
    if model is None or not text.strip() or len(text) > MAX_CHARS:
        return ()
    op = model.opinion(text)
    if not op.answers:
        return ()
    explained = detector.explain(text)  # only for the few messages the model would answer
    if model.defer and explained.held_back:
        return ()
    rule = detector.rule(op.rule, explained.language)
    if rule is None:
        return ()
    return (replace(rule, learned=max(round(op.urgent, 3), 0.001)),)
