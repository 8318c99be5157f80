"""Fuzzing the operator console's forms (CSRF on, a valid token): never a 500; refused input gets Japanese."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.inputs import ActionForm
from bot.towns import inputs
from tests.admin.test_fuzz_console import FUZZ, _choices, _encode, fields_of, values
from tests.towns.conftest import op_csrf, op_login
from tests.towns.test_operator_access import ROUTES, new_town_for

# Every operator POST and the form it reads; the registry must name each one (test below).
POST_FORMS = {
    "operator.login": inputs.OperatorLoginForm,
    "operator.town_new": inputs.TownForm,
    "operator.town_suspend": ActionForm,
    "operator.town_resume": ActionForm,
    "operator.town_channel": inputs.ChannelForm,
    "operator.town_admin_create": inputs.FirstAdminForm,
}
NOT_FUZZED = {"operator.logout": "would log the fuzzing operator out (its CSRF check: test_operator_access.py)"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
URLS = {"operator.login": "/operator/login", "operator.town_new": "/operator/towns/new",
        "operator.town_suspend": "/operator/towns/biei/suspend", "operator.town_resume": "/operator/towns/biei/resume",
        "operator.town_channel": "/operator/towns/biei/channel", "operator.town_admin_create": "/operator/towns/biei/admins"}


def test_every_operator_post_is_fuzzed():
    posts = {endpoint for endpoint, method in ROUTES if method == "POST"}
    assert posts == set(POST_FORMS) | set(NOT_FUZZED)


def _bodies(form_class):
    known = [b"biei", b"default", b"furano", b"bundled", b"a@biei.example.invalid", b"U" + b"a" * 32]

    def field_values(field):
        return st.lists(st.one_of(values, st.sampled_from(_choices(field) + known)), min_size=1, max_size=2)

    fields = fields_of(form_class)
    return st.fixed_dictionaries({}, optional={name: field_values(f) for name, f in fields.items()})


@pytest.mark.parametrize("endpoint", sorted(POST_FORMS))
def test_fuzzed_posts_never_fail_and_refusals_are_japanese(operator_app, endpoint):
    operator_app.config["WTF_CSRF_ENABLED"] = True
    operator_app.config["WTF_CSRF_TIME_LIMIT"] = None
    new_town_for(operator_app)
    client = operator_app.test_client()
    if endpoint != "operator.login":
        assert op_login(client, csrf_token=op_csrf(client)).status_code == 302
    token = op_csrf(client, "/operator/login" if endpoint == "operator.login" else "/operator/towns/new")

    @FUZZ
    @given(body=_bodies(POST_FORMS[endpoint]))
    def post(body):
        response = client.post(URLS[endpoint], data=_encode(body, token),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (endpoint, body, response.get_data(as_text=True)[:300])
        if 400 <= response.status_code < 500:
            assert JAPANESE.search(response.get_data(as_text=True)), (endpoint, body)

    post()
