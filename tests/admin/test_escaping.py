"""`<script>` in an entry stays text: console pages, the preview and the simulator never run it."""
from __future__ import annotations

from pathlib import Path

from tests.support.console import admin_client, console, entry, form_of  # noqa: F401  (fixtures)

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"


def _poison(console, client):
    # Categories come from the managed list: the poisoned name goes in there first.
    assert client.post("/admin/categories", data={"name": "子育て<b>教育</b>"}).status_code == 302
    with console.app_context():
        e = entry("school-lunch-free")
        questions = "\n".join(e.questions + [EVIL])
        post = form_of(e, title="給食<script>t()</script>", answer="給食費 " + EVIL, questions=questions,
                       contact=EVIL, source=EVIL, category="子育て<b>教育</b>")
    assert client.post(f"/admin/entries/{e.id}", data=post).status_code == 302
    return e.id


def test_script_in_an_entry_is_escaped_on_every_console_page(console, admin_client):
    entry_id = _poison(console, admin_client)
    pages = ["/admin/entries", f"/admin/entries/{entry_id}", f"/admin/entries/{entry_id}/history",
             "/admin/try?q=給食費&drafts=y", "/admin/audit", "/admin/", "/admin/inbox", "/admin/categories",
             "/admin/readiness"]
    for page in pages:
        html = admin_client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<script>t()" not in html, page
        assert "<img src=x" not in html and "<b>教育</b>" not in html, page
    edit = admin_client.get(f"/admin/entries/{entry_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert" in edit  # shown as text in the form
    # The preview's embedded JSON cannot close its <script> element.
    data = edit.split('id="preview-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and "\\u003cscript" in data


def test_preview_and_simulator_json_carry_text_that_the_renderer_shows_as_text(console, admin_client):
    _poison(console, admin_client)
    preview = admin_client.post("/admin/entries/preview", json={"title": EVIL, "answer": EVIL}).get_json()
    assert EVIL in str(preview)  # plain data; escaping is the renderer's job
    reply = admin_client.post("/simulator/send", json={"kind": "text", "text": "給食費ってタダになるの？"}).get_json()
    assert reply["outcome"] == "answer"
    assert "onerror" in str(reply["messages"])
    # The one renderer behind the simulator and the previews builds nodes with textContent only.
    for name in ("line-render.js", "simulator.js", "admin.js"):
        source = (STATIC / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)
    assert "textContent" in (STATIC / "line-render.js").read_text(encoding="utf-8")


def test_uri_buttons_only_follow_web_links():
    # Web links, and tel: for the safety replies' call buttons (tel:119); javascript: or data: stay inert.
    source = (STATIC / "line-render.js").read_text(encoding="utf-8")
    assert "/^(https?:\\/\\/|tel:)/.test(action.uri)" in source


def test_script_in_a_kpi_actual_is_escaped_on_the_console_and_the_board(console, admin_client):
    from bot.kpi import store

    with console.app_context():
        kpi_id = store.kpi_by_key("maternal-app").id
    assert admin_client.post(f"/admin/kpi/{kpi_id}", data={"value": "150", "as_of": "2025-03-31", "source": EVIL,
                                                          "note": EVIL}).status_code == 302
    for page in (f"/admin/kpi/{kpi_id}", "/admin/kpi", "/admin/", "/admin/audit", "/kpi"):
        html = admin_client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, page
    assert "&lt;script&gt;alert" in admin_client.get(f"/admin/kpi/{kpi_id}").get_data(as_text=True)
