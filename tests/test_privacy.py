"""Masking personal data and hashing user ids."""
from bot.conversation.privacy import mask, user_hash


def test_masks_phone_numbers_in_common_shapes():
    for phone in ("0125-22-2222", "090-1234-5678", "09012345678", "０１２５−２２−２２２２", "(0125)22-2222"):
        assert "［電話］" in mask(f"電話は{phone}です"), phone


def test_masks_email_and_twelve_digit_numbers():
    assert mask("a.b+c@example.co.jp へ") == "［メール］ へ"
    assert mask("番号は1234-5678-9012") == "番号は［番号］"
    assert mask("番号は123456789012です") == "番号は［番号］です"


def test_leaves_ordinary_numbers_alone():
    for text in ("2030年までに48%削減", "令和6年度", "全3校", "12.4%"):
        assert mask(text) == text


def test_user_hash_is_keyed_and_stable():
    assert user_hash("U1", "k") == user_hash("U1", "k")
    assert user_hash("U1", "k") != user_hash("U1", "other")
    assert "U1" not in user_hash("U1", "k")
    assert user_hash(None, "k") == ""
