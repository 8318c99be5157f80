"""Each door has its own body limit (issue 10): the webhook, console forms and the import upload."""
from __future__ import annotations

import http.client
import io
import json
import os
import zipfile

import yaml

from bot import create_app
from tests.support.console import ADMIN, csrf_token, entry, form_of, login, make_users
from tests.conftest import SECRET
from tests.support.linesign import sign
from tests.support.liveserver import LiveServer


def _console(loaded_app):
    """Return a logged-in admin client with CSRF on: its check reads the body before any view does."""
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    client = loaded_app.test_client()
    assert login(client, ADMIN, csrf_token=csrf_token(client)).status_code == 302
    return client


def _pack_zip(app, size: int) -> bytes:
    """Return a valid one-entry pack padded with an incompressible file to about size bytes."""
    with app.app_context():
        data = {**entry("school-lunch-free").content(), "answer": "大きなZIPで変えた回答"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("knowledge/school-lunch-free.yaml", yaml.safe_dump(data, allow_unicode=True))
        archive.writestr("knowledge/README.bin", os.urandom(size))  # not YAML: ignored by the import
    return buffer.getvalue()


def _upload(client, token: str, raw: bytes, name: str = "pack.zip"):
    return client.post("/admin/import", data={"csrf_token": token, "file": (io.BytesIO(raw), name)},
                       content_type="multipart/form-data")


def test_defaults_give_each_door_its_own_limit(monkeypatch):
    for name in ("MAX_WEBHOOK_BYTES", "MAX_FORM_BYTES", "MAX_IMPORT_BYTES"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["MAX_WEBHOOK_BYTES"] == 1_000_000
    assert app.config["MAX_CONTENT_LENGTH"] == app.config["MAX_FORM_BYTES"] == 512 * 1024
    assert app.config["MAX_IMPORT_BYTES"] == 20 * 1024 * 1024
    monkeypatch.setenv("MAX_IMPORT_BYTES", "3000000")
    monkeypatch.setenv("MAX_FORM_BYTES", "100000")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["MAX_IMPORT_BYTES"] == 3_000_000 and app.config["MAX_CONTENT_LENGTH"] == 100_000


def test_an_import_over_the_form_limit_reaches_the_preview(loaded_app):
    client = _console(loaded_app)
    raw = _pack_zip(loaded_app, 3 * loaded_app.config["MAX_FORM_BYTES"])
    assert loaded_app.config["MAX_FORM_BYTES"] < len(raw) < loaded_app.config["MAX_IMPORT_BYTES"]
    response = _upload(client, csrf_token(client, "/admin/transfer"), raw)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "確認：pack.zip" in html and 'name="token"' in html


def test_an_import_over_its_limit_is_a_japanese_413_page(loaded_app):
    loaded_app.config["MAX_IMPORT_BYTES"] = 2 * 1024 * 1024
    client = _console(loaded_app)
    response = _upload(client, csrf_token(client, "/admin/transfer"), _pack_zip(loaded_app, 3 * 1024 * 1024))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "送信できる大きさを超えています" in html and "2MBまで" in html and 'href="/admin/transfer"' in html
    assert "Request Entity Too Large" not in html


def test_a_console_form_over_its_limit_is_a_japanese_413_page(loaded_app):
    client = _console(loaded_app)
    with loaded_app.app_context():
        e = entry("school-lunch-free")
        eid = e.id
        post = form_of(e, answer="あ" * loaded_app.config["MAX_FORM_BYTES"])
    post["csrf_token"] = csrf_token(client, f"/admin/entries/{eid}")
    response = client.post(f"/admin/entries/{eid}", data=post)
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "512KBまで" in html and "送信できる大きさを超えています" in html


def test_the_webhook_keeps_its_own_limit_above_the_form_limit(loaded_app, fake_line):
    pad = "あ" * 200_000  # ~600 KB of JSON: more than a console form may send, less than LINE's door allows
    raw = json.dumps({"destination": "U1", "events": [], "pad": pad}, ensure_ascii=False).encode()
    assert loaded_app.config["MAX_FORM_BYTES"] < len(raw) < loaded_app.config["MAX_WEBHOOK_BYTES"]
    client = loaded_app.test_client()
    assert client.post("/callback", data=raw, headers={"X-Line-Signature": sign(raw, SECRET)}).status_code == 200
    loaded_app.config["MAX_WEBHOOK_BYTES"] = 100_000
    response = client.post("/callback", data=raw, headers={"X-Line-Signature": sign(raw, SECRET)})
    assert response.status_code == 413 and response.is_json  # LINE gets JSON, not a page


def test_a_real_server_answers_an_oversized_upload_instead_of_resetting(loaded_app):
    loaded_app.config["MAX_IMPORT_BYTES"] = 1024 * 1024
    client = _console(loaded_app)
    token = csrf_token(client, "/admin/transfer")
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    boundary = "----limit-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.zip\"\r\n"
            "Content-Type: application/zip\r\n\r\n").encode() + b"\0" * (8 * 1024 * 1024)
    body += f"\r\n--{boundary}--\r\n".encode()
    with LiveServer(loaded_app) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", "/admin/import", body, {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                     "Cookie": cookie})
        response = conn.getresponse()
        html = response.read().decode()
        conn.close()
    assert response.status == 413 and "1MBまで" in html


def _chunked_post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """POST body with Transfer-Encoding: chunked (no Content-Length) over a real connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", path)
        for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        for start in range(0, len(body), 64 * 1024):
            piece = body[start:start + 64 * 1024]
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type", "")
    except (BrokenPipeError, ConnectionResetError):  # the server may answer before the whole body is sent
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type", "")
    finally:
        conn.close()


def test_a_chunked_webhook_body_over_the_limit_is_413_over_a_real_server(loaded_app, fake_line):
    """Issue 19 A13: without a Content-Length the limit still answers 413 (JSON for LINE), never 400."""
    loaded_app.config["MAX_WEBHOOK_BYTES"] = 100_000
    raw = json.dumps({"destination": "U1", "events": [], "pad": "x" * 300_000}).encode()
    small = json.dumps({"destination": "U1", "events": []}).encode()
    with LiveServer(loaded_app) as server:
        status, body, kind = _chunked_post(server.port, "/callback", raw, {
            "Content-Type": "application/json", "X-Line-Signature": sign(raw, SECRET)})
        ok_status, _, _ = _chunked_post(server.port, "/callback", small, {
            "Content-Type": "application/json", "X-Line-Signature": sign(small, SECRET)})
    assert status == 413, (status, body[:200])
    assert kind.startswith("application/json")
    assert ok_status == 200  # a chunked body under the limit is read and answered as usual


def test_a_chunked_webhook_body_over_the_limit_is_413_in_the_test_client(loaded_app, fake_line):
    """The same through werkzeug's test client: an input stream, no Content-Length, the stream marked terminated."""
    loaded_app.config["MAX_WEBHOOK_BYTES"] = 100_000
    raw = json.dumps({"destination": "U1", "events": [], "pad": "x" * 300_000}).encode()
    response = loaded_app.test_client().post(
        "/callback", input_stream=io.BytesIO(raw),
        headers={"X-Line-Signature": sign(raw, SECRET), "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413 and response.is_json
