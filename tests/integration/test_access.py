"""Authorization lives in one helper; every route refuses what is outside a user's reach."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Body
from tests.conftest import login, post_form
from workflows.access import can_see_body, in_reach


@pytest.fixture
def tree(make_body):
    top = make_body("TOP", kind="inspection_commission")
    province = make_body("PROV", kind="inspection_commission", supervisor=top)
    district = make_body("DIST", kind="party_committee", supervisor=province)
    unit = make_body("UNIT", kind="agency", supervisor=district)
    other = make_body("OTHER", kind="inspection_commission", supervisor=top)
    other_unit = make_body("OTHER-UNIT", kind="agency", supervisor=other)
    return {b.code: b for b in (top, province, district, unit, other, other_unit)}


def test_a_user_sees_their_body_and_all_it_supervises_transitively(session, tree, make_user):
    user = make_user(body=tree["PROV"])
    seen = set(session.scalars(select(Body.code).where(in_reach(user, Body.id))))
    assert seen == {"PROV", "DIST", "UNIT"}


def test_a_user_does_not_see_their_supervisor_or_siblings(session, tree, make_user):
    user = make_user(body=tree["DIST"])
    for code in ("TOP", "PROV", "OTHER", "OTHER-UNIT"):
        assert not can_see_body(session, user, tree[code].id)


def test_an_admin_sees_every_body(session, tree, make_user):
    admin = make_user(body=tree["UNIT"], roles=("admin",))
    assert all(can_see_body(session, admin, b.id) for b in tree.values())


def test_the_body_page_of_a_body_out_of_reach_is_not_found(client, tree, make_user):
    make_user("prov.sup", body=tree["PROV"], roles=("supervisor",))
    login(client, "prov.sup")
    assert client.get(f"/bodies/{tree['UNIT'].id}").status_code == 200
    assert client.get(f"/bodies/{tree['OTHER-UNIT'].id}").status_code == 404
    assert client.get(f"/bodies/{tree['TOP'].id}").status_code == 404


def test_the_overview_lists_only_bodies_in_reach(client, tree, make_user):
    make_user("dist.off", body=tree["DIST"])
    login(client, "dist.off")
    page = client.get("/").get_data(as_text=True)
    assert f'href="/bodies/{tree["UNIT"].id}"' in page
    for code in ("OTHER-UNIT", "OTHER", "PROV", "TOP"):
        assert f'href="/bodies/{tree[code].id}"' not in page, code


ADMIN_GETS = [
    "/admin/bodies",
    "/admin/bodies/new",
    "/admin/users",
    "/admin/users/new",
    "/admin/audit",
]


@pytest.mark.parametrize("role", ["officer", "supervisor", "designer", "observer"])
def test_admin_pages_are_forbidden_to_other_roles(client, tree, make_user, role):
    user = make_user("someone", body=tree["TOP"], roles=(role,))
    login(client, "someone")
    for path in [
        *ADMIN_GETS,
        f"/admin/bodies/{tree['UNIT'].id}/edit",
        f"/admin/users/{user.id}/edit",
    ]:
        assert client.get(path).status_code == 403, path
    for path in [
        f"/admin/users/{user.id}/unlock",
        f"/admin/users/{user.id}/password",
        "/admin/audit",
    ]:
        assert post_form(client, path, {}, form_page="/").status_code == 403, path


def test_pages_need_a_login(client, tree):
    for path in ["/", f"/bodies/{tree['TOP'].id}", *ADMIN_GETS, "/account/password"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


def test_process_pages_need_a_login_and_unknown_versions_are_not_found(
    client, session, tree, make_user
):
    from workflows import definitions

    definitions.deploy_shipped(session)
    for path in ["/processes", "/processes/requirement/v1", "/processes/requirement/v1.bpmn"]:
        assert client.get(path).status_code == 302, path
    make_user("dist.off", body=tree["DIST"])
    login(client, "dist.off")
    assert "requirement" in client.get("/processes").get_data(as_text=True)
    xml = client.get("/processes/requirement/v1.bpmn?download=1")
    assert xml.status_code == 200 and xml.data.startswith(b"<?xml")
    assert "attachment" in xml.headers["Content-Disposition"]
    assert client.get("/processes/requirement/v99").status_code == 404
    assert client.get("/processes/nope/v1.bpmn").status_code == 404
