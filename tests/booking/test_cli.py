"""`flask booking list` and `flask booking day`: the facilities and a day's bookings, without names."""
from __future__ import annotations

from tests.booking.support import add_gym, book, open_day


def test_list_and_day_show_facilities_and_bookings_without_names(app, runner):
    empty = runner.invoke(args=["booking", "list"])
    assert empty.exit_code == 0 and "予約できる施設はありません" in empty.output
    add_gym(app)
    with app.app_context():
        receipt = book(name="山田太郎").receipt_no
    listed = runner.invoke(args=["booking", "list"])
    assert listed.exit_code == 0 and "gym\t市民体育館" in listed.output and "アリーナA面（40人）" in listed.output
    day = runner.invoke(args=["booking", "day", "gym", "--date", open_day().isoformat()])
    assert day.exit_code == 0 and receipt in day.output and "8人" in day.output and "山田" not in day.output
    bad = runner.invoke(args=["booking", "day", "gym", "--date", "昨日"])
    assert bad.exit_code != 0 and "2026-12-24 の形" in bad.output
    unknown = runner.invoke(args=["booking", "day", "nope"])
    assert unknown.exit_code != 0 and "施設 nope はありません" in unknown.output
