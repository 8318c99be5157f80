"""The chat simulator still works in Chromium under the app-wide Content-Security-Policy."""
from __future__ import annotations

from bot.core.security import CONTENT_SECURITY_POLICY


def watch_for_problems(page) -> list[str]:
    """Return a list that collects what the CSP blocked, script errors and failed requests on the page."""
    problems: list[str] = []
    # Chromium reports every blocked script, style or fetch on the console; none may appear. A failed load
    # is reported there too, without its address: the response handler below names it instead.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # Browsers ask for /favicon.ico on their own; the simulator does not ship one.
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    return problems


def test_simulator_answers_under_the_csp(live_server, page, tmp_path):
    problems = watch_for_problems(page)
    response = page.goto(live_server + "/")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # The greeting from the follow event means simulator.js ran and its fetch was allowed.
    page.wait_for_selector("#log .msg.bot")
    page.fill("#q", "給食費ってタダになるの？")
    page.click("#composer button[type=submit]")
    page.wait_for_selector("#log[data-outcome=answer]")
    assert "給食" in page.inner_text("#log")
    # The stylesheet applied: a blocked app.css has no CSS rules to read.
    assert page.eval_on_selector("link[rel=stylesheet]", "e => e.sheet !== null && e.sheet.cssRules.length > 0")
    page.screenshot(path=str(tmp_path / "simulator.png"), full_page=True)
    assert problems == []
