"""Spot text that lost characters to Shift_JIS (cp932), as Excel's plain "CSV" save does on Japanese Windows."""
from __future__ import annotations

from difflib import SequenceMatcher

# What a lost character turns into: Excel writes "?", a decoder "\ufffd".
_PLACEHOLDERS = frozenset("?\ufffd")


def cp932_can_hold(ch: str) -> bool:
    """Tell whether a character survives a trip through cp932 unchanged."""
    try:
        # 〜 (U+301C) encodes, but comes back as ～ (U+FF5E): that is a loss too.
        return ch.encode("cp932").decode("cp932") == ch
    except UnicodeEncodeError:
        return False


def lost_characters(old: str, new: str, *, best_fit: bool = False) -> str:
    """Return the characters of old that new lost to cp932, or "" when new differs in any other way."""
    # Every difference must replace characters cp932 cannot hold. With best_fit (the file was cp932)
    # the replacement may be any look-alike Windows chose (〜 becomes ～); otherwise it must be "?".
    if old == new:
        return ""
    lost = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        gone, got = old[i1:i2], new[j1:j2]
        if not gone or not got or any(cp932_can_hold(ch) for ch in gone):
            return ""
        # An astral character is two UTF-16 units, and Excel may write a "?" for each.
        if len(got) > 2 * len(gone) or not (best_fit or set(got) <= _PLACEHOLDERS):
            return ""
        lost.append(gone)
    return "".join(lost)
