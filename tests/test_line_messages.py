"""Pure message builders and LINE limits."""
import pytest

from bot.line import postback
from bot.line.limits import clip, utf16_len
from bot.line.messages import Chip, Town, answer_bubble, quick_reply
from bot.line.transcript import as_text


class _Entry:
    slug = "x"
    title = "<script>alert(1)</script>"
    answer = "答え"
    url = ""
    contact = ""
    source = "総合戦略72頁"


def test_utf16_length_counts_surrogate_pairs():
    assert utf16_len("あ") == 1 and utf16_len("🍙") == 2
    clipped = clip("🍙" * 10, 7)
    assert utf16_len(clipped) <= 7 and clipped.endswith("…")
    assert clip("short", 10) == "short"


def test_postback_round_trip_and_limits():
    data = postback.encode("ans", s="school-lunch-free", l=12)
    assert postback.decode(data) == {"a": "ans", "s": "school-lunch-free", "l": "12"}
    with pytest.raises(ValueError):
        postback.encode("ans", s="x" * 400)
    assert postback.decode("garbage") == {} and postback.decode("x" * 301) == {}


def test_quick_replies_are_capped_at_13():
    chips = [Chip(f"話題{i}", postback.encode("topic", c=str(i))) for i in range(20)]
    assert len(quick_reply(chips).items) == 13
    assert quick_reply([]) is None


def test_answer_bubble_without_url_has_no_link_and_uses_town_contact():
    town = Town("芦別市", "芦別市役所", "0125-00-0000", "https://example.invalid/")
    message = answer_bubble(_Entry(), town, log_id=None).to_dict()
    text = as_text(message)
    assert "詳しく見る" not in text and "👍" not in text
    assert "芦別市役所（電話 0125-00-0000）" in text
    assert message["altText"].startswith("<script>")  # plain data; renderers must escape it


def test_one_pass_serialisation_matches_the_sdks_to_dict():
    from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest

    from bot.line.messages import text
    from bot.line.wire import to_wire

    town = Town("芦別市", "芦別市役所", "", "https://example.invalid/")

    class Linked(_Entry):
        url = "https://www.city.ashibetsu.hokkaido.jp/"

    chips = [Chip("給食費", postback.encode("ans", s="school-lunch-free"), "給食費")]
    messages = [answer_bubble(Linked(), town, log_id=7, chips=chips), text("こんにちは🍙", chips), text("no chips")]
    for request in (ReplyMessageRequest(reply_token="t", messages=messages),
                    PushMessageRequest(to="U1", messages=messages[:1])):
        assert to_wire(request) == request.to_dict()
