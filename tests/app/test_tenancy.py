"""Towns as tenants (issue 21): the current town, the ORM's filter, failing closed, /<town>/ paths and --town."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update

from bot.core.tenancy import NoTownSelected, TownPrefix, keyed, town_by_slug, use_town
from bot.extensions import db
from bot.models import AuditLog, Entry, TownSetting, User
from bot.models.tenancy import DEFAULT_TOWN_ID, Tenant
from bot.staff.accounts import create_user
from bot.towns.store import create_town
from tests.support.console import PASSWORD, login

OTHER = "biei"


@pytest.fixture
def two_towns(loaded_app):
    """The default town with the bundled pack, and a second town with the same pack and its own admin."""
    loaded_app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests
    with loaded_app.app_context():
        other = create_town(OTHER, "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"],
                            channel_secret="other-secret", access_token="other-token")
        with use_town(other.id):
            create_user("b-admin@example.invalid", "admin", PASSWORD)
        create_user("a-admin@example.invalid", "admin", PASSWORD)
        return loaded_app, other.id


def _entry_ids(town_id: int) -> set[int]:
    with use_town(town_id):
        return set(db.session.scalars(select(Entry.id)))


def test_every_query_sees_only_the_current_towns_rows(two_towns):
    app, other = two_towns
    with app.app_context():
        mine, theirs = _entry_ids(DEFAULT_TOWN_ID), _entry_ids(other)
        assert mine and theirs and not mine & theirs
        # The same slug lives in both towns: unique within its town only.
        with use_town(other):
            assert db.session.scalar(select(func.count()).select_from(Entry)) == len(theirs)
            some = next(iter(mine))
            assert db.session.get(Entry, some) is None  # another town's row by its primary key
            assert db.session.scalar(select(Entry).where(Entry.id == some)) is None


def test_orm_updates_and_deletes_stay_in_the_town(two_towns):
    app, other = two_towns
    with app.app_context():
        with use_town(other):
            db.session.execute(update(Entry).values(title="美瑛町のタイトル"))
            db.session.execute(delete(AuditLog))
            db.session.commit()
        titles = set(db.session.scalars(select(Entry.title)))
        assert "美瑛町のタイトル" not in titles
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) > 0


def test_new_rows_take_the_current_town_and_cannot_be_written_into_another(two_towns):
    app, other = two_towns
    with app.app_context():
        with use_town(other):
            db.session.add(TownSetting(key="phone", value="0166-92-1111"))
            db.session.commit()
            assert keyed(TownSetting, "phone").value == "0166-92-1111"
        assert keyed(TownSetting, "phone") is None
        db.session.add(TownSetting(town_id=other, key="hours", value="x"))
        with pytest.raises(NoTownSelected):
            db.session.flush()
        db.session.rollback()


def test_with_no_town_every_query_on_town_data_raises(two_towns, no_default_town):
    app, _ = two_towns
    with app.app_context():
        with pytest.raises(NoTownSelected):
            db.session.scalars(select(Entry)).all()
        with pytest.raises(NoTownSelected):
            db.session.execute(update(User).values(active=False))
        with pytest.raises(NoTownSelected):
            db.session.add(AuditLog(action="x"))
            db.session.flush()
        db.session.rollback()
        # The towns themselves are the platform's: readable with no town.
        assert db.session.scalar(select(func.count()).select_from(Tenant)) == 2


def test_raw_sql_is_not_filtered_by_the_orm_so_the_hot_path_names_its_town(two_towns):
    """Text statements bypass the ORM filter; PostgreSQL's policies still apply (each town sees its own rows), so
    the webhook's own raw SQL takes the town as a parameter all the same."""
    app, other = two_towns
    raw = text("SELECT town_id, count(*) FROM entries GROUP BY town_id")
    with app.app_context():
        here = dict(db.session.execute(raw).all())
        with use_town(other):
            there = dict(db.session.execute(raw).all())
    if app.config["BACKEND"] == "postgresql":  # row-level security (tests/app/test_row_level_security.py)
        assert set(here) == {DEFAULT_TOWN_ID} and set(there) == {other}
        assert here[DEFAULT_TOWN_ID] == there[other] > 0
    else:  # SQLite has no policies: a raw statement sees every town
        assert here == there and here[DEFAULT_TOWN_ID] == here[other] > 0


def test_a_prefixed_path_serves_its_town_and_unprefixed_paths_the_default(two_towns):
    app, _ = two_towns
    client = app.test_client()
    assert login(client, "a-admin@example.invalid").status_code == 302
    assert client.get("/admin/").status_code == 200
    # The default town's session is not a session in the other town (its cookie path is the other prefix's).
    assert client.get(f"/{OTHER}/admin/").status_code == 302
    other_client = app.test_client()
    # The other town's account does not exist in the default town.
    assert login(other_client, "b-admin@example.invalid").status_code == 401
    response = other_client.post(f"/{OTHER}/admin/login", data={"email": "b-admin@example.invalid",
                                                                  "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/{OTHER}/admin")
    assert any(c.path == f"/{OTHER}/" for c in other_client._cookies.values())
    page = other_client.get(f"/{OTHER}/admin/").get_data(as_text=True)
    assert f'href="/{OTHER}/admin/' in page  # links stay under the town's prefix
    assert other_client.get("/admin/").status_code == 302  # and its session is no session in the default town


def test_unknown_towns_are_404_and_suspended_towns_503(two_towns):
    app, _ = two_towns
    client = app.test_client()
    assert client.get("/nosuchtown/notices").status_code == 404
    assert client.get(f"/{OTHER}/notices").status_code == 200
    with app.app_context():
        from bot.towns.store import set_status

        set_status(OTHER, "suspended", actor="test")
    response = client.get(f"/{OTHER}/notices")
    assert response.status_code == 503 and "停止" in response.get_data(as_text=True)
    assert client.get("/notices").status_code == 200  # the default town is untouched


def test_the_middleware_leaves_the_applications_own_paths_alone(app):
    seen = {}

    def inner(environ, start_response):
        seen.update(script=environ.get("SCRIPT_NAME"), path=environ.get("PATH_INFO"))
        return []

    middleware = TownPrefix(inner, app)
    middleware({"PATH_INFO": "/admin/login", "SCRIPT_NAME": ""}, None)
    assert seen == {"script": "", "path": "/admin/login"}
    middleware({"PATH_INFO": "/biei/admin/login", "SCRIPT_NAME": "/bot"}, None)
    assert seen == {"script": "/bot/biei", "path": "/admin/login"}
    middleware({"PATH_INFO": "/biei", "SCRIPT_NAME": ""}, None)
    assert seen == {"script": "/biei", "path": "/"}


def test_town_commands_take_town_and_default_to_the_default_town(two_towns):
    app, other = two_towns
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "cli@example.invalid", "--generate", "--town", OTHER])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "list"])
    assert "cli@example.invalid" not in result.output and "a-admin@example.invalid" in result.output
    result = runner.invoke(args=["users", "list", "--town", OTHER])
    assert "cli@example.invalid" in result.output and "a-admin@example.invalid" not in result.output
    result = runner.invoke(args=["users", "list", "--town", "nosuch"])
    assert result.exit_code != 0 and "nosuch" in result.output


def test_with_no_default_town_commands_must_name_one(two_towns):
    app, _ = two_towns
    app.config["DEFAULT_TOWN"] = ""
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code != 0 and "--town" in result.output
    assert app.test_client().get("/notices").status_code == 404
    assert app.test_client().get(f"/{OTHER}/notices").status_code == 200


def test_the_towns_commands_create_list_and_suspend(loaded_app):
    runner = loaded_app.test_cli_runner()
    result = runner.invoke(args=["towns", "create", "furano", "--name", "富良野市", "--pack",
                                 loaded_app.config["KNOWLEDGE_DIR"], "--line-channel-secret", "s",
                                 "--line-access-token", "t"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["towns", "list"]).output
    assert "furano\tactive\t富良野市" in listed and "default\tactive" in listed
    assert "\ts\t" not in listed and "\tt\t" not in listed  # no credentials printed
    assert runner.invoke(args=["towns", "suspend", "furano"]).exit_code == 0
    assert "furano\tsuspended" in runner.invoke(args=["towns", "list"]).output
    with loaded_app.app_context():
        stored = db.session.scalar(select(Tenant.line_channel_secret).where(Tenant.slug == "furano"))
        assert stored and "s" != stored and not stored.startswith("s")  # encrypted at rest
        assert town_by_slug("furano", fresh=True).status == "suspended"


@pytest.mark.parametrize("slug, message", [
    ("Admin", "英小文字"), ("a", "3〜40文字"), ("admin", "パスに使われている"), ("default", "すでにあります"),
    ("x-", "英小文字"), ("町", "英小文字")])
def test_bad_town_slugs_get_a_clear_japanese_error(loaded_app, slug, message):
    result = loaded_app.test_cli_runner().invoke(args=["towns", "create", slug, "--name", "x",
                                                       "--line-channel-secret", "s", "--line-access-token", "t"])
    assert result.exit_code != 0 and message in result.output
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1
