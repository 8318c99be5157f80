"""One requires(role) decorator: a role name or a Role with its own test, and the aliases the views use."""
from __future__ import annotations

from bot.core.access import (ROLES, Role, admin_required, applications_required, bookings_required, chat_required,
                             requires, staff_required)
from tests.support.console import ADMIN, EDITOR, login, make_users


def test_the_aliases_are_requires_of_their_roles():
    def view():
        return "ok"

    assert [decorate(view).access for decorate in (staff_required, admin_required, applications_required,
                                                   bookings_required, chat_required)] == [
        "staff", "admin", "applications", "bookings", "chat"]
    assert requires("admin")(view).access == "admin"
    assert sorted(ROLES) == ["admin", "applications", "bookings", "chat", "staff"]


def test_a_role_with_its_own_test(app):
    """A Role lets through whom its test allows; others get the 403 page, anonymous users the login page."""
    app.config["WTF_CSRF_ENABLED"] = False
    make_users(app)
    only_the_editor = Role("editor_only", lambda user: user.email == EDITOR)
    app.add_url_rule("/admin/probe", "probe", requires(only_the_editor)(lambda: "probe ok"))
    assert app.view_functions["probe"].access == "editor_only"

    anonymous = app.test_client().get("/admin/probe")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    editor, admin = app.test_client(), app.test_client()
    assert login(editor, EDITOR).status_code == 302 and login(admin, ADMIN).status_code == 302
    assert editor.get("/admin/probe").get_data(as_text=True) == "probe ok"
    assert admin.get("/admin/probe").status_code == 403  # even an admin, when the role's test says no
