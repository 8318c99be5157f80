"""Hostile or broken uploads (issue 10): a clear Japanese error, never a 500, nothing applied, little CPU."""
from __future__ import annotations

import io
import os
import struct
import time
import zipfile

import pytest
import yaml
from sqlalchemy import func, select

from bot.extensions import db
from bot.knowledge.pack import TEXT_LIMITS
from bot.models import AuditLog, Entry, EntryRevision
from tests.support.console import admin_client, console, entry, form_of  # noqa: F401  (fixtures)

LUNCH = "school-lunch-free"


def _snapshot(app):
    with app.app_context():
        return (
            {e.slug: e.content() for e in db.session.scalars(select(Entry))},
            db.session.scalar(select(func.count()).select_from(EntryRevision)),
            db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action != "login")),
        )


def _upload(client, name: str, raw: bytes):
    return client.post("/admin/import", data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def _zip(files: dict[str, bytes | str], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _lunch_yaml(app, **changes) -> dict:
    with app.app_context():
        data = entry(LUNCH).content()
    return {**data, **changes}


def _refused(client, app, name: str, raw: bytes, *expected: str) -> str:
    """Upload, and check the preview refuses it in Japanese without changing anything."""
    before = _snapshot(app)
    response = _upload(client, name, raw)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert "取り込めません" in html and 'name="token"' not in html
    for text in expected:
        assert text in html, text
    assert _snapshot(app) == before
    return html


@pytest.mark.parametrize("text, reason", [
    ("- slug: a\n- slug: b\n", "1件分だけ"),  # a top-level list
    ("1: one\nslug: school-lunch-free\n", "項目名は文字で"),  # mixed-type keys
    ("null: nothing\nslug: school-lunch-free\n", "項目名は文字で"),  # a null key
    ("? 2026-04-01\n: a date key\nslug: x\n", "項目名は文字で"),
    ("slug: school-lunch-free\nquestions: 7\n", "1行に1つ"),  # a list field that is a number
])
def test_odd_yaml_shapes_are_refused_in_japanese(console, admin_client, text, reason):
    _refused(admin_client, console, "pack.zip", _zip({"knowledge/school-lunch-free.yaml": text}), reason)


def test_a_nul_in_yaml_text_is_refused_before_postgresql_sees_it(console, admin_client):
    data = _lunch_yaml(console, title="給食\0費", slug="school\0lunch")
    raw = _zip({f"knowledge/{LUNCH}.yaml": yaml.safe_dump(data, allow_unicode=True)})
    _refused(admin_client, console, "pack.zip", raw, "制御文字")


def test_a_zip_with_a_bad_crc_is_refused(console, admin_client):
    text = yaml.safe_dump(_lunch_yaml(console, answer="書き換えた回答"), allow_unicode=True).encode()
    raw = bytearray(_zip({f"knowledge/{LUNCH}.yaml": text}, method=zipfile.ZIP_STORED))
    at = raw.index("書き換えた".encode())
    raw[at] ^= 0x01  # the member's bytes no longer match its CRC-32
    _refused(admin_client, console, "pack.zip", bytes(raw), "壊れています")


def _lie_about_sizes(raw: bytes, size: int) -> bytes:
    """Rewrite every member's uncompressed size, in the local headers and the central directory."""
    data = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            data[at + offset:at + offset + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    return bytes(data)


def test_a_zip_that_lies_about_its_size_is_refused(console, admin_client):
    note = "あ" * 400_000  # unpacks to 1.2 MB, declared as 2 KB
    text = yaml.safe_dump(_lunch_yaml(console, review_note=note), allow_unicode=True)
    raw = _lie_about_sizes(_zip({f"knowledge/{LUNCH}.yaml": text}), 2048)
    _refused(admin_client, console, "pack.zip", raw, LUNCH)


def test_a_small_zip_of_huge_yaml_files_costs_no_cpu(console, admin_client):
    """60 × 1 MB of YAML in a 72 KB zip took 32 s of CPU; the sizes are refused before any parsing."""
    files = {f"knowledge/e{i}.yaml": "slug: e%d\nreview_note: %s\n" % (i, "a" * 1_000_000) for i in range(60)}
    raw = _zip(files)
    assert len(raw) < 100_000
    started = time.process_time()
    _refused(admin_client, console, "bomb.zip", raw, "大きすぎます")
    # Same files, sizes declared small: read stops at the first lie.
    _refused(admin_client, console, "bomb.zip", _lie_about_sizes(raw, 1000), "e0.yaml")
    assert time.process_time() - started < 3


def test_one_oversized_file_is_refused_by_its_declared_size(console, admin_client):
    text = yaml.safe_dump(_lunch_yaml(console, review_note="a" * 200_000))
    _refused(admin_client, console, "pack.zip", _zip({f"knowledge/{LUNCH}.yaml": text}), "128KBまで")


def test_too_many_files_are_refused_before_reading_them(console, admin_client):
    raw = _zip({f"knowledge/e{i}.yaml": "slug: [unclosed" for i in range(2100)})
    html = _refused(admin_client, console, "many.zip", raw, "2000件まで")
    assert "YAMLとして読み取れません" not in html  # counted from the directory, not parsed one by one


def test_import_and_console_share_one_review_note_limit(console, admin_client):
    limit = TEXT_LIMITS["review_note"]
    too_long = _lunch_yaml(console, review_note="確" * (limit + 1))
    _refused(admin_client, console, "pack.zip",
             _zip({f"knowledge/{LUNCH}.yaml": yaml.safe_dump(too_long, allow_unicode=True)}), f"{limit}文字以内")
    with console.app_context():
        e = entry(LUNCH)
        post = form_of(e, review_note="確" * (limit + 1))
        eid = e.id
    html = admin_client.post(f"/admin/entries/{eid}", data=post).get_data(as_text=True)
    assert f"{limit}文字以内" in html
    # At the limit both doors accept it.
    at_limit = _lunch_yaml(console, review_note="確" * limit)
    preview = _upload(admin_client, "pack.zip",
                      _zip({f"knowledge/{LUNCH}.yaml": yaml.safe_dump(at_limit, allow_unicode=True)}))
    assert 'name="token"' in preview.get_data(as_text=True)


def test_a_csv_cell_of_200000_characters_is_refused(console, admin_client):
    raw = ("識別名,回答\r\nschool-lunch-free," + "あ" * 200_000 + "\r\n").encode("utf-8-sig")
    _refused(admin_client, console, "big.csv", raw, "2行目に長すぎるセル")


def test_a_nul_in_a_csv_cell_is_refused(console, admin_client):
    raw = "識別名,タイトル\r\nschool-lunch-free,給食\x00費\r\n".encode("utf-8-sig")
    _refused(admin_client, console, "nul.csv", raw, "2行目に制御文字（NUL）")


@pytest.fixture
def staging(console, tmp_path):
    """Keep this test's staged uploads in its own folder."""
    console.instance_path = str(tmp_path)
    return tmp_path / "imports"


def _preview_token(client, raw: bytes, name: str = "pack.zip") -> str:
    html = _upload(client, name, raw).get_data(as_text=True)
    return html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]


def _changed_pack(app, answer: str) -> bytes:
    return _zip({f"knowledge/{LUNCH}.yaml": yaml.safe_dump(_lunch_yaml(app, answer=answer), allow_unicode=True)})


def _age(path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_a_staged_upload_is_deleted_once_applied(console, admin_client, staging):
    token = _preview_token(admin_client, _changed_pack(console, "新しい回答"))
    assert (staging / f"{token}.json").exists()
    assert admin_client.post("/admin/import/apply", data={"token": token}).status_code == 302
    assert list(staging.iterdir()) == []


def test_expired_uploads_are_deleted_on_the_next_preview_and_cannot_be_applied(console, admin_client, staging):
    old = _preview_token(admin_client, _changed_pack(console, "古い確認"))
    _age(staging / f"{old}.json", 3601)
    new = _preview_token(admin_client, _changed_pack(console, "新しい確認"))
    assert sorted(p.name for p in staging.iterdir()) == [f"{new}.json"]
    # An expired preview that nobody purged yet is refused, and removed.
    _age(staging / f"{new}.json", 3601)
    before = _snapshot(console)
    page = admin_client.post("/admin/import/apply", data={"token": new}, follow_redirects=True)
    assert "1時間を過ぎました" in page.get_data(as_text=True)
    assert _snapshot(console) == before and list(staging.iterdir()) == []


def test_logs_purge_deletes_expired_uploads_and_keeps_fresh_ones(console, admin_client, staging):
    old = _preview_token(admin_client, _changed_pack(console, "古い確認"))
    fresh = _preview_token(admin_client, _changed_pack(console, "新しい確認"))
    _age(staging / f"{old}.json", 7200)
    result = console.test_cli_runner().invoke(args=["logs", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 expired import previews" in result.output
    assert sorted(p.name for p in staging.iterdir()) == [f"{fresh}.json"]
