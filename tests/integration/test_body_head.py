"""An administrator names the head of a body on the body form; escalations address them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEvent, Body
from tests.conftest import login, post_form


@pytest.fixture
def admin_client(client, make_body, make_user):
    make_user("quantri", body=make_body("HQ", kind="inspection_commission"), roles=("admin",))
    login(client, "quantri")
    return client


def _form(body, **kw):
    data = {"code": body.code, "name": body.name, "kind": body.kind}
    data |= {"parent_id": "None", "supervisor_id": "None", "head_user_id": "None"}
    return data | kw


def test_admin_names_the_head_of_a_body_and_it_is_audited(
    admin_client, session, make_body, make_user
):
    unit = make_body("UNIT-H")
    chief = make_user("truong.phong", body=unit)
    path = f"/admin/bodies/{unit.id}/edit"
    assert chief.full_name in admin_client.get(path).get_data(as_text=True)
    response = post_form(admin_client, path, _form(unit, head_user_id=str(chief.id)))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Body, unit.id).head_user_id == chief.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "body.head_changed"))
    assert event.payload == {"before": None, "after": chief.id}


def test_a_user_of_another_body_cannot_be_named_head(admin_client, session, make_body, make_user):
    unit = make_body("UNIT-X")
    stranger = make_user(body=make_body("OTHER"))
    path = f"/admin/bodies/{unit.id}/edit"
    response = post_form(admin_client, path, _form(unit, head_user_id=str(stranger.id)))
    # Not one of the offered choices: refused by the form, and nothing is written.
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Body, unit.id).head_user_id is None


def test_the_verb_refuses_a_head_from_another_body(session, make_body, make_user):
    from workflows.body_head import set_body_head
    from workflows.errors import InvalidInput, NotAllowed

    unit, other = make_body(), make_body()
    admin = make_user(roles=("admin",))
    with pytest.raises(InvalidInput) as err:
        set_body_head(session, unit, make_user(body=other).id, admin)
    assert err.value.field == "head_user_id"
    with pytest.raises(NotAllowed):
        set_body_head(session, unit, None, make_user(body=unit, roles=("supervisor",)))
