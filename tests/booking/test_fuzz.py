"""Fuzz the resident's booking posts: any fields, any values, never a 500, and never a booking from a bad post."""
from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Booking
from tests.booking.support import add_gym, linked_client, open_day

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_FORMS_EXAMPLES", "25")), deadline=None, derandomize=True,
                database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NAMES = ["people", "purpose", "name", "phone", "draft", "step", "other"]
VALUES = st.one_of(st.text(max_size=300), st.sampled_from(["0", "-1", "41", "1e9", "８", "", "x" * 12000, "\x00"]),
                   st.lists(st.text(max_size=20), max_size=5))


def test_fuzzed_booking_posts_never_fail_and_store_nothing(app):
    add_gym(app)
    client = linked_client(app)
    path = f"/booking/gym/{open_day().isoformat()}/arena-a/0900"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)

    @given(body=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8))
    @FUZZ
    def post(body):
        for target in (path, "/booking/confirm"):
            response = client.post(target, data={**body, "csrf_token": token})
            assert response.status_code < 500, (target, body, response.get_data(as_text=True)[:300])

    post()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_odd_paths_are_answered(app):
    add_gym(app)
    client = linked_client(app)
    for path in ("/booking/" + "a" * 500, "/booking/gym/2026-02-30", "/booking/gym/x/arena-a/0900",
                 f"/booking/gym/{open_day().isoformat()}/nope/0900", f"/booking/gym/{open_day().isoformat()}/arena-a/0930",
                 "/booking/done/" + "Y" * 300, "/booking?t=" + "x" * 5000):
        assert client.get(path).status_code in (303, 404), path
