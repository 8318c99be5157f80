"""Masking personal data and hashing user ids."""
import time

import pytest

from bot.conversation.privacy import mask, user_hash

PHONE, NUMBER, MAIL = "［電話］", "［番号］", "［メール］"

# How residents really write numbers: each must disappear whole from the stored text.
POSITIVES = [
    ("0125-22-2222", PHONE), ("090-1234-5678", PHONE), ("09012345678", PHONE), ("０１２５−２２−２２２２", PHONE),
    ("(0125)22-2222", PHONE), ("090.1234.5678", PHONE), ("+81-90-1234-5678", PHONE), ("090–1234–5678", PHONE),
    ("090 - 1234 - 5678", PHONE), ("090—1234—5678", PHONE), ("090ー1234ー5678", PHONE), ("090－1234－5678", PHONE),
    ("090―1234―5678", PHONE), ("090‐1234‐5678", PHONE), ("０９０ー１２３４ー５６７８", PHONE),
    ("090 1234 5678", PHONE), ("090\u30001234\u30005678", PHONE), ("(090)1234-5678", PHONE),
    ("０１２５（２２）１１１１", PHONE), ("（０１２５）２２－１１１１", PHONE), ("0125 (22) 1111", PHONE),
    ("+81 90 1234 5678", PHONE), ("+81(0)90-1234-5678", PHONE), ("＋８１－９０－１２３４－５６７８", PHONE),
    ("+819012345678", PHONE), ("+81-125-22-1111", PHONE), ("0120-123-456", PHONE), ("０１２０－１２３－４５６", PHONE),
    ("0570-000-123", PHONE), ("0800-123-4567", PHONE), ("03-1234-5678", PHONE), ("011-123-4567", PHONE),
    ("01267-2-1234", PHONE), ("050-1234-5678", PHONE), ("0125222222", PHONE), ("070・1234・5678", PHONE),
    ("1234 5678 9012", NUMBER), ("1234-5678-9012", NUMBER), ("123456789012", NUMBER), ("１２３４ ５６７８ ９０１２", NUMBER),
    ("1234－5678－9012", NUMBER),
    ("taro@example.jp", MAIL), ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", MAIL), ("a.b+c@example.co.jp", MAIL),
    ("Hanako_Y-1990@mail.city.ashibetsu.hokkaido.jp", MAIL), ("taro ＠ example.jp", MAIL),
]

# Numbers that are not personal data and must stay readable for staff. Postal codes (〒075-0041) are
# deliberately left: seven digits name a district, not a person, and the city's own addresses use them.
NEGATIVES = [
    "2024-12-01に申し込みました", "令和6年度の給食費", "1,000円かかりますか", "定員は50名です", "24→50に増えた",
    "計画書の69頁", "〒075-0041 芦別市北1条東1丁目", "2030年までに48%削減", "全3校", "12.4%",
    "9:00～17:00", "2024/12/01", "01-12-2024", "0.5%の利率", "第2期総合戦略（2020-2024）", "10,000,000円",
    "2024–2025年度", "10 - 20人", "電話番号を教えて", "令和06.12.01", "3-0-1で勝った", "0125-22",
    "ver 3.27.0", "1234 5678", "12345678901234567",
]


@pytest.mark.parametrize("written,placeholder", POSITIVES)
def test_masks_personal_numbers_and_addresses_however_written(written, placeholder):
    assert mask(f"連絡先は{written}です") == f"連絡先は{placeholder}です"
    assert mask(written) == placeholder


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_dates_prices_counts_and_postal_codes_alone(text):
    assert mask(text) == text


def test_the_tables_are_as_large_as_the_review_asked():
    assert len(POSITIVES) >= 30 and len(NEGATIVES) >= 15


def test_masks_several_items_in_one_message():
    text = "電話090-1234-5678かtaro@example.jpへ、番号は1234 5678 9012です"
    assert mask(text) == "電話［電話］か［メール］へ、番号は［番号］です"


def test_mask_is_fast_enough_for_every_message():
    messages = ["給食費ってタダになるの？", "子ども産まれたら何かもらえる？", "電話は090-1234-5678です",
                "令和6年度の予算は1,000円ですか", "taro@example.jp に送って"] * 2000
    started = time.perf_counter()
    for m in messages:
        mask(m)
    assert time.perf_counter() - started < 1.0  # 10k messages; about 0.03 s on the CI machine


def test_user_hash_is_keyed_and_stable():
    assert user_hash("U1", "k") == user_hash("U1", "k")
    assert user_hash("U1", "k") != user_hash("U1", "other")
    assert "U1" not in user_hash("U1", "k")
    assert user_hash(None, "k") == ""


# Generated numbers: every real Japanese shape, any separator a keyboard gives, half- or full-width digits.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SHAPES = [(2, 4, 4), (3, 3, 4), (4, 2, 4), (5, 1, 4), (3, 4, 4), (4, 3, 3), (4, 3, 4)]  # 03, 011, 0125, 01267, 090, 0120, 0800
SEPARATORS = ["", "-", "‐", "–", "—", "―", "ー", "－", "−", ".", " ", "\u3000", " - ", " – "]
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
words = st.text(alphabet="給食費の電話はですかお願いします、。！ ", max_size=8)


@st.composite
def phone_numbers(draw) -> str:
    area, exchange, subscriber = draw(st.sampled_from(SHAPES))
    digits = "0" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=area + exchange + subscriber - 1,
                                         max_size=area + exchange + subscriber - 1)))
    sep = draw(st.sampled_from(SEPARATORS))
    written = sep.join((digits[:area], digits[area:area + exchange], digits[area + exchange:]))
    if draw(st.booleans()):
        written = f"({digits[:area]}){digits[area:area + exchange]}{sep or '-'}{digits[area + exchange:]}"
    return written.translate(WIDE) if draw(st.booleans()) else written


@settings(max_examples=300, deadline=None, derandomize=True)
@given(before=words, number=phone_numbers(), after=words)
def test_generated_phone_numbers_never_survive(before, number, after):
    masked = mask(before + number + after)
    assert "［電話］" in masked
    assert not any(ch.isdigit() for ch in masked), (number, masked)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=80))
def test_masking_is_idempotent_and_spares_text_without_digits(text):
    once = mask(text)
    assert mask(once) == once
    if not any(ch in "0123456789０１２３４５６７８９@＠" for ch in text):
        assert once == text


def test_upgrading_masks_questions_logged_before_the_fix(app, fake_line, tmp_path, request):
    """Rows stored unmasked by earlier versions are masked by migration 0004_privacy, on each backend."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from bot import create_app
    from bot.extensions import db
    from tests.conftest import base_config

    if app.config["BACKEND"] == "sqlite":
        uri, drop = f"sqlite:///{tmp_path / 'old.sqlite3'}", None
    else:  # a database of its own: the shared one is already at the newest revision
        # owned and migrated by the session's owner role (the app's role may not create tables), made and dropped
        # by the server's superuser (only it may end an autovacuum worker still in the database)
        pg = request.getfixturevalue("pg_database")
        name = f"{pg.database}_remask"
        admin = create_engine(pg.admin, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name} OWNER {pg.owner_role}"))
        uri = make_url(pg.owner).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
            admin.dispose()
    old = create_app(base_config(uri, fake_line))
    try:
        with old.app_context():
            upgrade(revision="0003_notices")
            db.session.execute(text("INSERT INTO question_log (created_at, text, user_hash, channel, outcome, score, "
                                    "latency_ms, candidates) VALUES (CURRENT_TIMESTAMP, :t, '', 'line', 'fallback', "
                                    "0, 0, '[]')"), {"t": "電話は090.1234.5678、ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ です"})
            db.session.commit()
            upgrade()
            assert db.session.scalar(text("SELECT text FROM question_log")) == "電話は［電話］、［メール］ です"
            db.session.remove()
            db.engine.dispose()
    finally:
        old.extensions["line_sender"].close()
        if drop:
            drop()
