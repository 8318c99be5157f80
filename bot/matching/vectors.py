"""Read word vectors keyed by Sudachi normalised forms from a spaCy vocab folder (no spaCy needed).

The PyPI package ``ja-ginza`` ships chiVe-derived vectors (20,000 rows × 300 float32, 480,443 keys:
rare words point at the row of a close common word) in ``ja_ginza/ja_ginza-<ver>/vocab``:
``vectors`` is a NumPy .npy file and ``key2row`` a msgpack map {spaCy string hash: row}.  We read
both directly, memory-map the matrix so that worker processes share its pages, and never import
spaCy.  The folder is found through the installed package; without it the matcher runs lexical only.
"""
from __future__ import annotations

import importlib.util
import struct
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .normalize import to_katakana

_MASK = (1 << 64) - 1
_M = 0xC6A4A7935BD1E995


def spacy_hash(text: str) -> int:
    """Return spaCy's 64-bit key for a string: MurmurHash64A of its UTF-8 bytes, seed 1."""
    data = text.encode("utf-8")
    h = (1 ^ (len(data) * _M)) & _MASK
    whole = len(data) // 8 * 8
    for (k,) in struct.iter_unpack("<Q", data[:whole]):
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if whole < len(data):
        h = ((h ^ int.from_bytes(data[whole:], "little")) * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    return h ^ (h >> 47)


def read_key2row(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Return (sorted keys, rows) from a msgpack map of unsigned integers, as spaCy writes it."""
    if not data:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    pos, n = _read_map_header(data)
    keys = [0] * n
    rows = [0] * n
    unpack_key = struct.Struct(">Q").unpack_from
    # One pass over ~480k pairs at start-up: the common encodings (a uint64 key, a row below
    # 65,536) are inlined, anything else goes through the general reader.
    for i in range(n):
        if data[pos] == 0xCF:
            keys[i] = unpack_key(data, pos + 1)[0]
            pos += 9
        else:
            keys[i], pos = _read_uint(data, pos)
        tag = data[pos]
        if tag < 0x80:
            rows[i] = tag
            pos += 1
        elif tag == 0xCD:
            rows[i] = (data[pos + 1] << 8) | data[pos + 2]
            pos += 3
        else:
            rows[i], pos = _read_uint(data, pos)
    key_array = np.array(keys, np.uint64)
    order = np.argsort(key_array)
    return key_array[order], np.array(rows, np.int64)[order]


def _read_map_header(data: bytes) -> tuple[int, int]:
    tag = data[0]
    if 0x80 <= tag <= 0x8F:
        return 1, tag & 0x0F
    if tag == 0xDE:
        return 3, struct.unpack_from(">H", data, 1)[0]
    if tag == 0xDF:
        return 5, struct.unpack_from(">I", data, 1)[0]
    raise ValueError(f"key2row is not a msgpack map (tag {tag:#x})")


_UINT = {0xCC: (">B", 1), 0xCD: (">H", 2), 0xCE: (">I", 4), 0xCF: (">Q", 8)}


def _read_uint(data: bytes, pos: int) -> tuple[int, int]:
    tag = data[pos]
    if tag < 0x80:
        return tag, pos + 1
    fmt, size = _UINT.get(tag, ("", 0))
    if not size:
        raise ValueError(f"key2row holds a non-integer (tag {tag:#x})")
    return struct.unpack_from(fmt, data, pos + 1)[0], pos + 1 + size


class WordVectors:
    """Look up unit-length word vectors by Sudachi normalised form."""

    def __init__(self, matrix: np.ndarray, keys: np.ndarray, rows: np.ndarray) -> None:
        """Wrap a (rows × dim) matrix and sorted key → row arrays."""
        self.matrix = matrix
        self.keys = keys
        self.rows = rows
        self.dim = int(matrix.shape[1]) if matrix.ndim == 2 else 0
        self._cache: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path) -> WordVectors:
        """Read a spaCy vocab folder holding ``vectors`` (.npy) and ``key2row`` (msgpack)."""
        matrix = np.load(folder / "vectors", mmap_mode="r")
        keys, rows = read_key2row((folder / "key2row").read_bytes())
        return cls(matrix, keys, rows)

    def row(self, term: str) -> int | None:
        """Return the matrix row of a term (tried as written and in katakana), or None."""
        for spelling in dict.fromkeys((term, to_katakana(term))):
            key = np.uint64(spacy_hash(spelling))
            at = int(np.searchsorted(self.keys, key))
            if at < len(self.keys) and self.keys[at] == key:
                return int(self.rows[at])
        return None

    def _lookup(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        if term in self._cache:
            return self._cache[term]
        r = self.row(term)
        found: tuple[np.ndarray, np.ndarray] | None = None
        if r is not None:
            raw = np.asarray(self.matrix[r], dtype=np.float32)
            norm = float(np.linalg.norm(raw))
            found = (raw, raw / norm) if norm > 0.0 else None
        with self._lock:
            # Query words are open-ended: keep the cache from growing without bound.
            if len(self._cache) < 200_000:
                self._cache[term] = found
        return found

    def vector(self, term: str) -> np.ndarray | None:
        """Return a term's unit vector (float32), or None when the vocabulary lacks it."""
        found = self._lookup(term)
        return found[1] if found else None

    def embed(self, weights: Mapping[str, float]) -> np.ndarray:
        """Return the unit-length weighted sum of the terms' vectors (zeros if none is known).

        The sum takes the vectors as trained, not unit length: word2vec gives vague, frequent
        words shorter vectors, a second weighting on top of the caller's.
        """
        acc = np.zeros(self.dim, np.float32)
        for term, w in weights.items():
            found = self._lookup(term)
            if found is not None and w > 0.0:
                acc += w * found[0]
        norm = float(np.linalg.norm(acc))
        return acc / norm if norm > 0.0 else acc


_PACKAGE = "ja_ginza"
_shared: WordVectors | None = None
_shared_loaded = False
_shared_lock = threading.Lock()


def packaged_vocab_folder() -> Path | None:
    """Return the installed ja_ginza vocab folder, found without importing the package (or spaCy)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for folder in sorted(Path(root).glob(f"{_PACKAGE}-*/vocab")):
            if (folder / "vectors").is_file() and (folder / "key2row").is_file():
                return folder
    return None


def shared_vectors() -> WordVectors | None:
    """Return the process-wide packaged vectors, loading them once, or None when not installed."""
    global _shared, _shared_loaded
    if not _shared_loaded:
        with _shared_lock:
            if not _shared_loaded:
                folder = packaged_vocab_folder()
                _shared = WordVectors.load(folder) if folder else None
                _shared_loaded = True
    return _shared
