"""Word vectors: reading spaCy's vocab files, the dense channel, the soft question cover, fusion."""
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.matching import Document, Matcher
from bot.matching.semantic import SOFT_MATCH, SemanticIndex
from bot.matching.vectors import WordVectors, packaged_vocab_folder, read_key2row, shared_vectors, spacy_hash


def msgpack_map(pairs: dict[int, int]) -> bytes:
    """Encode {key: row} the way spaCy's key2row is written (map32, smallest uint encodings)."""

    def uint(v: int) -> bytes:
        if v < 0x80:
            return bytes([v])
        for tag, fmt, limit in ((0xCC, ">B", 1 << 8), (0xCD, ">H", 1 << 16), (0xCE, ">I", 1 << 32)):
            if v < limit:
                return bytes([tag]) + struct.pack(fmt, v)
        return b"\xcf" + struct.pack(">Q", v)

    return b"\xdf" + struct.pack(">I", len(pairs)) + b"".join(uint(k) + uint(v) for k, v in pairs.items())


# Toy 4-d vectors: childcare words close together, tax words elsewhere, rubbish on its own.
WORDS = {
    "保育所": [1.0, 0.1, 0.0, 0.0],
    "保育園": [0.95, 0.2, 0.0, 0.0],
    "入所": [0.6, 0.6, 0.0, 0.0],
    "入園": [0.55, 0.65, 0.0, 0.0],
    "住民税": [0.0, 0.0, 1.0, 0.1],
    "市民税": [0.0, 0.0, 0.98, 0.15],
    "ごみ": [0.0, 0.0, 0.1, 1.0],
    "コンビニ": [0.3, 0.0, 0.0, 0.9],
}


@pytest.fixture
def vocab(tmp_path):
    matrix = np.array(list(WORDS.values()), np.float32)
    np.save(tmp_path / "vectors.npy", matrix)
    (tmp_path / "vectors.npy").rename(tmp_path / "vectors")  # spaCy writes it without a suffix
    (tmp_path / "key2row").write_bytes(msgpack_map({spacy_hash(w): i for i, w in enumerate(WORDS)}))
    return tmp_path


def test_spacy_hash_matches_spacy():
    # The value spaCy's documentation prints for nlp.vocab.strings["coffee"].
    assert spacy_hash("coffee") == 3197928453018144401
    assert spacy_hash("子供") != spacy_hash("子ども")


def test_read_key2row_handles_every_integer_width():
    pairs = {5: 1, 200: 130, 70_000: 40_000, 2**40: 70_000, 2**63 + 7: 3}
    keys, rows = read_key2row(msgpack_map(pairs))
    assert list(keys) == sorted(pairs)
    assert dict(zip(keys.tolist(), rows.tolist())) == pairs
    with pytest.raises(ValueError):
        read_key2row(b"\x93\x01\x02\x03")  # an array, not a map


def test_vectors_load_look_up_and_embed(vocab):
    wv = WordVectors.load(vocab)
    assert isinstance(wv.matrix, np.memmap)  # shared between worker processes, not copied
    assert wv.row("保育所") == 0
    assert wv.row("こんびに") == 7  # the matcher keeps kana words in hiragana; the vocab has katakana
    assert wv.vector("給食") is None
    v = wv.vector("保育園")
    assert v is not None and abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    mean = wv.embed({"保育園": 1.0, "入園": 1.0, "未知語": 5.0})
    assert abs(float(np.linalg.norm(mean)) - 1.0) < 1e-5
    assert not wv.embed({"未知語": 1.0}).any()


def test_soft_cover_counts_near_words_by_their_similarity(vocab):
    wv = WordVectors.load(vocab)
    questions = [[frozenset({"保育所", "入所"})], [frozenset({"住民税"})]]
    sem = SemanticIndex(wv, [{"保育所": 1.0, "入所": 1.0}, {"住民税": 1.0}], [{}, {}], questions, lambda t: 1.0)
    q = sem.query({"保育園": 1.0, "入園": 1.0})
    assert q is not None
    near = sem.soft_cover(q, 0)
    assert 0.9 < near < 1.0  # both words matched through a close neighbour, not exactly
    assert sem.soft_cover(q, 1) == 0.0  # 住民税 is nowhere near (cosine < SOFT_MATCH)
    exact = sem.query({"保育所": 1.0, "入所": 1.0})
    assert exact is not None and sem.soft_cover(exact, 0) == pytest.approx(1.0)
    dense = sem.dense(q)
    assert dense[0] > 0.8 and dense[1] == 0.0
    assert sem.query({"給食": 1.0}) is None
    assert 0.0 < SOFT_MATCH < 1.0


DOCS = [
    Document(id="nursery", title="保育所の入所申込", answer="保育所への入所は市役所で申し込みます。"),
    Document(id="tax", title="住民税の納付", answer="住民税は年4回に分けて納めます。"),
    Document(id="waste", title="ごみの出し方", answer="ごみは決められた曜日に出してください。"),
]


def test_vectors_find_an_entry_that_shares_no_word_with_the_query(vocab):
    wv = WordVectors.load(vocab)
    semantic = Matcher.build(DOCS, vectors=wv)
    top = semantic.rank("保育園に入園したい", 3)
    assert top[0].id == "nursery"
    assert semantic.rank("市民税", 1)[0].id == "tax"
    # Exact words still win over near ones: the vectors add to BM25, they do not replace it.
    assert semantic.rank("ごみの出し方", 1)[0].id == "waste"


def test_matcher_without_vectors_still_ranks():
    m = Matcher.build(DOCS, vectors=None)
    assert m.rank("住民税の納付", 1)[0].id == "tax"


# CI installs requirements.txt, so there a missing ja-ginza must fail these tests rather than skip them.
packaged = pytest.mark.skipif(packaged_vocab_folder() is None and not os.environ.get("CI"),
                              reason="ja-ginza is not installed (pip install -r requirements.txt)")


@packaged
def test_packaged_vectors_know_common_municipal_words():
    wv = shared_vectors()
    assert wv is not None and wv.matrix.shape == (20000, 300)
    assert shared_vectors() is wv  # loaded once per process
    for word in ("保育園", "住民票", "ごみ", "子供", "赤ちゃん", "乳児"):
        assert wv.vector(word) is not None, word
    close = float(wv.vector("保育園") @ wv.vector("保育所"))
    far = float(wv.vector("保育園") @ wv.vector("住民票"))
    assert close > SOFT_MATCH > far


@packaged
def test_packaged_vectors_bridge_everyday_and_official_words():
    docs = [
        Document(id="gifts", title="ふるさと納税の返礼品", questions=("お礼のギフトはもらえますか",)),
        Document(id="nursery", title="保育所の入所申込", questions=("保育所に申し込みたい",)),
        Document(id="juminhyo", title="住民票の写しの交付", questions=("住民票を取りたい",)),
    ]
    m = Matcher.build(docs)
    assert m.rank("プレゼントはありますか", 1)[0].id == "gifts"
    assert m.rank("保育園に入りたい", 1)[0].id == "nursery"


def test_matching_keeps_blas_on_one_thread():
    """Run numpy after importing the matcher and check no BLAS thread pool was started."""
    code = ("import os, bot.matching, numpy as np; a = np.ones((400, 400)); a @ a; "
            "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "1", "numpy started extra threads: " + out.stdout
