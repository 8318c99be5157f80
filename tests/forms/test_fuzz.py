"""Fuzz the public form posts: any fields, any values, never a 500 and never a record from a bad post."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.forms.support import GOOD, URL, hidden, open_form

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_FORMS_EXAMPLES", "25")), deadline=None, derandomize=True,
                database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NAMES = [*GOOD, "step", "t", "draft", "update", "website", "w", "m", "other"]
VALUES = st.one_of(st.text(max_size=300), st.sampled_from(["confirm", "submit", "edit", "1", "", "x" * 12000]),
                   st.lists(st.text(max_size=20), max_size=5))


@given(body=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=12))
@FUZZ
def _post(app, body):
    client = app.test_client()
    token = hidden(open_form(client), "csrf_token")
    for path in (URL, URL + "/withdraw"):
        response = client.post(path, data={**body, "csrf_token": token})
        assert response.status_code < 500, (path, body, response.get_data(as_text=True)[:300])


def test_fuzzed_form_posts_never_fail(loaded_app):
    loaded_app.config["FORM_POSTS_PER_WINDOW"] = 10_000
    from bot.core.ratelimit import Limit

    loaded_app.extensions["form_limits"] = {"submit": Limit("form_submit", 10_000, 600), "post": Limit("form_post", 10_000, 600)}
    _post(loaded_app)


def test_an_oversized_body_is_refused_before_it_is_read(loaded_app):
    client = loaded_app.test_client()
    response = client.post(URL, data={"f-name": "あ" * (300 * 1024)})
    assert response.status_code == 413


def test_odd_slugs_and_queries_are_answered(loaded_app):
    client = loaded_app.test_client()
    assert client.get("/forms/" + "a" * 500).status_code == 404
    odd = client.get(URL + "?t=" + "x" * 5000, follow_redirects=True)
    assert odd.status_code == 200 and "リンクが正しくありません" in odd.get_data(as_text=True)
    assert client.get(URL + "/withdraw", follow_redirects=True).status_code == 400
    for query in ("?w=" + "x" * 5000, "?w=", "?w=%00", "?change=1", "?change=%ff"):
        for path in (URL + "/manage", URL + "/withdraw", URL):
            answer = loaded_app.test_client().get(path + query, follow_redirects=True)
            assert answer.status_code in (200, 400, 403), (path, query, answer.status_code)
