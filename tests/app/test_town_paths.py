"""Every door of a town under /<slug>/: the links it hands out (LINE, the feed, QR codes, the rich menu), its
redirects and cookies stay under its prefix, and the default town keeps its unprefixed paths (docs/towns.md)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from sqlalchemy import select, update

from bot.core.tenancy import use_town
from bot.extensions import db
from bot.models import Facility, FormSubmission, Notice, utcnow
from bot.publicurl import base_url, site_url
from bot.signage import qr
from bot.staff.accounts import create_user
from bot.towns.store import create_town
from tests.conftest import SECRET, TOKEN
from tests.forms.support import GOOD, hidden, hidden_pairs, receipt
from tests.forms import test_mail
from tests.support import events
from tests.support.console import PASSWORD
from tests.support.linejson import actions
from tests.support.linesign import body_of, sign

TOWN = "biei"
ADMIN = "b-admin@example.invalid"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://bot.example.jp"
smtp = test_mail.smtp  # the fixture: a real SMTP server on 127.0.0.1


@pytest.fixture
def town(loaded_app):
    """The default town with the bundled pack, and `biei` with the same pack and its own admin; CSRF off."""
    loaded_app.config.update(WTF_CSRF_ENABLED=False, PUBLIC_BASE_URL=BASE)
    with loaded_app.app_context():
        # The test channel, so a webhook signed for the tests verifies in this town as in the default one.
        other = create_town(TOWN, "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"],
                            channel_secret=SECRET, access_token=TOKEN)
        with use_town(other.id):
            create_user(ADMIN, "admin", PASSWORD)
        return other.id


def _logged_in(app):
    client = app.test_client()
    response = client.post(f"/{TOWN}/admin/login", data={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _apply(client, prefix: str) -> str:
    """Fill, confirm and send the supporters' club form of the town at prefix; return the done page."""
    url = f"{prefix}/forms/supporters-club"
    page = client.get(url).get_data(as_text=True)
    confirm = client.post(url, data={**GOOD, "csrf_token": hidden(page, "csrf_token"), "step": "confirm"})
    assert confirm.status_code == 200
    data: dict[str, list[str]] = {}
    for name, value in hidden_pairs(confirm.get_data(as_text=True)) + [("step", "submit")]:
        data.setdefault(name, []).append(value)
    done = client.post(url, data=data)
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    return done.get_data(as_text=True)


def _ask(app, fake_line, path: str, text: str) -> list[str]:
    """Send a signed text event to a town's webhook; return the URIs of the reply's buttons."""
    fake_line.reset()
    body = body_of([events.text(text)])
    response = app.test_client().post(path, data=body, headers={"Content-Type": "application/json",
                                                                  "X-Line-Signature": sign(body, SECRET)})
    assert response.status_code == 200
    assert app.extensions["line_sender"].drain(10)
    replies = [m for call in fake_line.calls("/v2/bot/message/reply") for m in call.body["messages"]]
    return [a["uri"] for m in replies for a in actions(m) if a["type"] == "uri"]


def test_the_base_url_is_the_towns_and_the_default_town_keeps_the_root(loaded_app, town):
    with loaded_app.app_context():
        assert base_url() == site_url() == f"{BASE}/"  # the default town: no prefix, as in single-town mode
        with use_town(town):
            assert base_url() == f"{BASE}/{TOWN}/" and site_url() == f"{BASE}/"
        loaded_app.config["PUBLIC_BASE_URL"] = ""
        with use_town(town):  # a job with no request: the development fallback, still with the prefix
            assert base_url() == f"http://127.0.0.1:5000/{TOWN}/"
    with loaded_app.test_request_context(f"/{TOWN}/notices", base_url="http://localhost"):
        with use_town(town):
            assert base_url() == f"http://localhost/{TOWN}/"


def test_form_links_sent_to_line_open_the_form_of_the_town_that_sent_them(loaded_app, town, fake_line):
    uris = _ask(loaded_app, fake_line, f"/{TOWN}/callback", "応援団に入りたい")
    link = next(u for u in uris if "/forms/" in u)
    assert link.startswith(f"{BASE}/{TOWN}/forms/supporters-club?t=")
    default = next(u for u in _ask(loaded_app, fake_line, "/callback", "応援団に入りたい") if "/forms/" in u)
    assert default.startswith(f"{BASE}/forms/supporters-club?t=")
    # The link works in its town: the token becomes a cookie scoped to the town's form, and the form opens linked.
    client = loaded_app.test_client()
    response = client.get(f"/{TOWN}/forms/supporters-club?" + urlsplit(link).query)
    assert response.status_code == 303 and response.headers["Location"] == f"/{TOWN}/forms/supporters-club"
    assert f"Path=/{TOWN}/forms/supporters-club" in response.headers["Set-Cookie"]
    page = client.get(f"/{TOWN}/forms/supporters-club").get_data(as_text=True)
    assert "LINE と連携して申し込みます" in page
    # Another town's link is no link here: the default town refuses biei's token (follower ids are a town's own).
    token = dict(parse_qsl(urlsplit(link).query))["t"]
    other = loaded_app.test_client()
    other.get(f"/forms/supporters-club?t={token}")
    page = other.get("/forms/supporters-club").get_data(as_text=True)
    assert "LINE から開いたリンクが正しくありません" in page and "LINE と連携して申し込みます" not in page


def test_a_receipts_mailed_link_works_only_in_its_town(loaded_app, town, smtp):
    """Receipt numbers are unique within a town only: biei's link must not open the default town's receipt."""
    numbers, links = {}, {}
    for prefix in ("", f"/{TOWN}"):
        numbers[prefix] = receipt(_apply(loaded_app.test_client(), prefix))
        body = smtp.messages[-1][1].get_content()
        links[prefix] = re.search(r"https://\S+/manage\?w=\S+", body).group(0)
        assert links[prefix].startswith(f"{BASE}{prefix}/forms/supporters-club/manage?w=")
    # Give the default town's registration biei's number: one number, two registrations, two towns.
    with loaded_app.app_context():
        db.session.execute(update(FormSubmission).where(FormSubmission.receipt_no == numbers[""])
                           .values(receipt_no=numbers[f"/{TOWN}"]))
        db.session.commit()
    query = urlsplit(links[f"/{TOWN}"]).query
    stranger = loaded_app.test_client()
    page = stranger.get(f"/forms/supporters-club/manage?{query}", follow_redirects=True).get_data(as_text=True)
    assert "取消しのリンクが正しくありません" in page and "登録を取り消す" not in page
    owner = loaded_app.test_client()
    response = owner.get(f"/{TOWN}/forms/supporters-club/manage?{query}")
    assert response.status_code == 303 and response.headers["Location"] == f"/{TOWN}/forms/supporters-club/manage"
    assert f"Path=/{TOWN}/forms/supporters-club" in response.headers["Set-Cookie"]
    page = owner.get(f"/{TOWN}/forms/supporters-club/manage").get_data(as_text=True)
    assert numbers[f"/{TOWN}"] in page and "登録を取り消す" in page


def test_the_feed_links_and_ids_are_the_towns(loaded_app, town):
    with loaded_app.app_context(), use_town(town):
        now = utcnow()
        notice = Notice(title="美瑛町のお知らせ", body="本文です。", status="sent", channels=["web"],
                        requested_at=now - timedelta(minutes=2), approved_at=now - timedelta(minutes=1),
                        display_until=now + timedelta(days=3), created_by="a@example.jp", approved_by="b@example.jp")
        db.session.add(notice)
        db.session.commit()
        notice_id = notice.id
    client = loaded_app.test_client()
    response = client.get(f"/{TOWN}/notices.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": f"{BASE}/{TOWN}/notices.atom", "alternate": f"{BASE}/{TOWN}/notices"}
    assert root.findtext(f"{ATOM}id") == f"{BASE}/{TOWN}/notices"
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == f"{BASE}/{TOWN}/notices/{notice_id}"
    assert entry.find(f"{ATOM}link").get("href") == f"{BASE}/{TOWN}/notices/{notice_id}"
    page = client.get(f"/{TOWN}/notices").get_data(as_text=True)
    assert f'href="/{TOWN}/notices.atom"' in page and f'href="/{TOWN}/notices/{notice_id}"' in page
    # The default town's feed is its own, on the root.
    default = ET.fromstring(client.get("/notices.atom").data)
    assert default.findtext(f"{ATOM}id") == f"{BASE}/notices" and default.find(f"{ATOM}entry") is None


def test_a_screens_url_and_qr_code_open_the_towns_kiosk_and_its_cookie_stays_there(loaded_app, town):
    client = _logged_in(loaded_app)
    response = client.post(f"/{TOWN}/admin/signage/facilities", data={"name": "美瑛町役場", "place": ""})
    assert response.status_code == 302 and response.headers["Location"] == f"/{TOWN}/admin/signage/"
    with loaded_app.app_context(), use_town(town):
        facility_id = db.session.scalar(select(Facility.id).where(Facility.name == "美瑛町役場"))
    page = client.post(f"/{TOWN}/admin/signage/facilities/{facility_id}/screens", data={"name": "ロビー"})
    html = page.get_data(as_text=True)
    url = re.search(r'<code id="screen-url" class="screen-url">([^<]+)</code>', html).group(1)
    key = url.rsplit("/", 1)[1]
    assert url == f"{BASE}/{TOWN}/signage/{key}"
    assert f'src="{qr.data_uri(url)}"' in html  # the QR code holds exactly that address
    kiosk = loaded_app.test_client()
    assert loaded_app.test_client().get(f"/signage/{key}").status_code == 404  # not a key of the default town
    response = kiosk.get(f"/{TOWN}/signage/{key}")
    assert response.status_code == 303 and response.headers["Location"] == f"/{TOWN}/signage/"
    assert f"Path=/{TOWN}/signage" in response.headers["Set-Cookie"]
    screen = kiosk.get(f"/{TOWN}/signage/").get_data(as_text=True)
    assert f'data-content-url="/{TOWN}/signage/content"' in screen
    assert kiosk.get(f"/{TOWN}/signage/content").status_code == 200
    assert kiosk.get("/signage/content").status_code == 404  # the cookie is not sent to another town's kiosk


def test_login_next_and_every_redirect_stay_in_the_town(loaded_app, town):
    client = loaded_app.test_client()
    response = client.get(f"/{TOWN}/admin/entries?q=%E7%B5%A6%E9%A3%9F")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/{TOWN}/admin/login?next=")
    assert unquote(dict(parse_qsl(urlsplit(location).query))["next"]) == "/admin/entries?q=給食"
    response = client.post(f"/{TOWN}/admin/login", data={"email": ADMIN, "password": PASSWORD,
                                                         "next": "/admin/entries?q=給食"})
    assert response.status_code == 302 and unquote(response.headers["Location"]) == f"/{TOWN}/admin/entries?q=給食"
    assert client.get(response.headers["Location"]).status_code == 200
    # Logged in already, the login page sends on to next, in the town too.
    again = client.get(f"/{TOWN}/admin/login?next=/admin/inbox")
    assert again.status_code == 302 and again.headers["Location"] == f"/{TOWN}/admin/inbox"
    for bad in ("//evil.example/admin", f"/{TOWN}/admin/", "https://evil.example/admin", "/forms/x"):
        other = loaded_app.test_client()
        response = other.post(f"/{TOWN}/admin/login", data={"email": ADMIN, "password": PASSWORD, "next": bad})
        assert response.status_code == 302 and response.headers["Location"] == f"/{TOWN}/admin/", bad


def test_error_pages_lead_back_into_the_town(loaded_app, town):
    client = loaded_app.test_client()
    response = client.get(f"/{TOWN}/admin/no-such-page")
    assert response.status_code == 404 and f'href="/{TOWN}/"' in response.get_data(as_text=True)
    assert 'href="/"' in client.get("/admin/no-such-page").get_data(as_text=True)
    # An unknown town's prefix leads nowhere: its error page points at the site's top.
    response = client.get("/no-such-town/notices")
    assert response.status_code == 404 and '<a href="/">' in response.get_data(as_text=True)
    staff = _logged_in(loaded_app)
    loaded_app.config["MAX_IMPORT_BYTES"] = 1000
    response = staff.post(f"/{TOWN}/admin/import", data=b"x" * 1001,
                          headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413
    assert f'href="/{TOWN}/admin/transfer"' in response.get_data(as_text=True)


def test_rich_menu_links_to_the_service_open_the_towns_pages(loaded_app, town):
    from bot.richmenu.build import build_spec

    def links() -> list[str]:
        return [a.action["uri"] for mode in ("normal", "disaster") for a in build_spec(mode).areas
                if a.action.get("type") == "uri"]

    with loaded_app.app_context():
        with use_town(town):
            uris = links()
        default = links()
    assert f"{BASE}/{TOWN}/forms/supporters-club" in uris and f"{BASE}/{TOWN}/notices" in uris
    assert f"{BASE}/forms/supporters-club" in default and f"{BASE}/notices" in default
    # Outside addresses are left as they are.
    assert "https://www.city.ashibetsu.hokkaido.jp/" in uris


def test_the_simulator_and_its_script_use_the_towns_paths(loaded_app, town):
    client = loaded_app.test_client()
    html = client.get(f"/{TOWN}/").get_data(as_text=True)
    assert f'data-send-url="/{TOWN}/simulator/send"' in html
    assert "<h1>美瑛町 ご案内ボット</h1>" in html  # the town's own name (the default town's is TOWN_NAME)
    assert f"<h1>{loaded_app.config['TOWN_NAME']} ご案内ボット</h1>" in client.get("/").get_data(as_text=True)
    assert f'src="/{TOWN}/static/simulator.js' in html
    script = client.get(f"/{TOWN}/static/simulator.js")
    assert script.status_code == 200 and b'fetch("/' not in script.data
