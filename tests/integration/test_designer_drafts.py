"""Drafts in the designer: one per process, saved with an optimistic lock; the deploy's own
validation with every problem named by element; uploads from other modelers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, ProcessDefinition, ProcessDraft
from tests.integration import designer_support as models
from workflows import definitions, designer, designer_new
from workflows.engine.errors import BpmnRefused
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound

DATA = models.definitions.SHIPPED.parent / "tests" / "engine" / "data"


@pytest.fixture
def shipped(session: Any) -> None:
    definitions.deploy_shipped(session)


def named(user: Any, full_name: str) -> Any:
    user.full_name = full_name
    return user


@pytest.fixture
def designer_user(make_user: Any) -> Any:
    return named(make_user(roles=("designer",)), "Lê Minh Châu")


def versions(session: Any, key: str = "requirement") -> int:
    return session.scalar(
        select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key)
    )


def codes(refused: pytest.ExceptionInfo[BpmnRefused]) -> set[tuple[str, str | None]]:
    return {(p.code, p.element_id) for p in refused.value.problems}


def test_without_a_draft_the_modeler_opens_the_newest_version(session, shipped, designer_user):
    opened = designer.open_model(session, designer_user, "requirement")
    assert (opened.lock_version, opened.base_version, opened.draft) == (0, 1, None)
    assert 'id="requirement"' in opened.xml


def test_a_saved_draft_is_what_the_modeler_opens_next_time(session, shipped, designer_user):
    changed = models.with_plan_review()
    draft = designer.save_draft(session, designer_user, "requirement", changed, 0, 1)
    assert (draft.lock_version, draft.base_version) == (1, 1)
    again = designer.save_draft(session, designer_user, "requirement", changed, 1)
    assert again.lock_version == 2
    opened = designer.open_model(session, designer_user, "requirement")
    assert opened.lock_version == 2 and "review_plan" in opened.xml


def test_the_second_of_two_saves_from_the_same_version_is_refused(
    session, shipped, designer_user, make_user
):
    other = named(make_user(roles=("designer",)), "Trần Văn Bảo")
    designer.save_draft(session, designer_user, "requirement", models.REQUIREMENT, 0, 1)
    designer.save_draft(session, other, "requirement", models.with_plan_review(), 1)
    with pytest.raises(Conflict) as refused:
        designer.save_draft(
            session, designer_user, "requirement", models.with_escalating_overdue(), 1
        )
    assert refused.value.details["code"] == "draft_stale"
    assert "Trần Văn Bảo" in str(refused.value)
    stored = designer.find_draft(session, "requirement", with_xml=True)
    assert stored.lock_version == 2 and "review_plan" in stored.bpmn_xml
    assert 'serviceTaskOperator id="escalate"' not in stored.bpmn_xml


def test_a_draft_started_by_someone_else_meanwhile_is_not_overwritten(
    session, shipped, designer_user
):
    designer.save_draft(session, designer_user, "requirement", models.with_plan_review(), 0, 1)
    with pytest.raises(Conflict):
        designer.save_draft(session, designer_user, "requirement", models.REQUIREMENT, 0, 1)
    assert "review_plan" in designer.find_draft(session, "requirement", with_xml=True).bpmn_xml


def test_saving_a_draft_that_was_deployed_meanwhile_is_refused(session, shipped, designer_user):
    with pytest.raises(Conflict) as refused:
        designer.save_draft(session, designer_user, "requirement", models.REQUIREMENT, 3)
    assert refused.value.details["code"] == "draft_gone"


def test_a_version_deployed_after_opening_refuses_the_first_save(session, shipped, designer_user):
    definitions.deploy(session, models.with_escalating_overdue(), expected_key="requirement")
    with pytest.raises(Conflict) as refused:
        designer.save_draft(session, designer_user, "requirement", models.with_plan_review(), 0, 1)
    assert refused.value.details["code"] == "base_moved"
    assert designer.find_draft(session, "requirement") is None


def test_deploying_a_draft_makes_the_next_version_and_ends_the_draft(
    session, shipped, designer_user
):
    designer.save_draft(session, designer_user, "requirement", models.with_plan_review(), 0, 1)
    deployed = designer.deploy_model(
        session, designer_user, "requirement", models.with_plan_review(), 1
    )
    assert deployed.created and deployed.definition.version == 2
    assert deployed.definition.deployed_by_id == designer_user.id
    assert designer.find_draft(session, "requirement") is None
    assert session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "definition.deployed",
            AuditEvent.subject_id == str(deployed.definition.id),
        )
    )


def test_deploying_what_is_already_deployed_creates_no_version(session, shipped, designer_user):
    deployed = designer.deploy_model(session, designer_user, "requirement", models.REQUIREMENT, 0)
    assert not deployed.created and versions(session) == 1


def test_a_version_opened_before_another_was_deployed_is_not_deployed_over_it(
    session, shipped, designer_user
):
    definitions.deploy(session, models.with_escalating_overdue(), expected_key="requirement")
    with pytest.raises(Conflict) as refused:
        designer.deploy_model(
            session, designer_user, "requirement", models.with_plan_review(), 0, 1
        )
    assert refused.value.details["code"] == "base_moved" and versions(session) == 2


def test_a_draft_older_than_the_newest_version_is_not_deployed(session, shipped, designer_user):
    designer.save_draft(session, designer_user, "requirement", models.with_plan_review(), 0, 1)
    definitions.deploy(session, models.with_escalating_overdue(), expected_key="requirement")
    with pytest.raises(Conflict) as refused:
        designer.deploy_model(session, designer_user, "requirement", models.with_plan_review(), 1)
    assert refused.value.details["code"] == "base_moved" and versions(session) == 2


@pytest.mark.parametrize(
    ("make", "code", "element"),
    [
        (models.with_unknown_operation, "unknown_operation", "notify_overdue"),
        (models.with_unquoted_timer, "timer_unquoted", "ev_deadline"),
        (models.with_escape_script, "script_refused", "apply_extension"),
        (models.with_unmapped_lane, "lane_without_role", "Lane_officer"),
        (models.with_process_id, "process_key_mismatch", "conclusion"),
    ],
)
def test_a_bad_model_is_refused_with_the_element_named_and_nothing_deployed(
    session, shipped, designer_user, make, code, element
):
    with pytest.raises(BpmnRefused) as refused:
        designer.deploy_model(session, designer_user, "requirement", make(), 0)
    assert (code, element) in codes(refused)
    assert versions(session) == 1


def test_validation_reports_every_problem_at_once(session, shipped, designer_user):
    bad = models.with_unmapped_lane(models.with_unquoted_timer(models.with_unknown_operation()))
    with pytest.raises(BpmnRefused) as refused:
        designer.validate_model(session, designer_user, "requirement", bad)
    assert {c for c, _ in codes(refused)} >= {
        "unknown_operation",
        "timer_unquoted",
        "lane_without_role",
    }


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("malformed.bpmn", "malformed_xml"),
        ("xxe.bpmn", "doctype_refused"),
        ("billion_laughs.bpmn", "doctype_refused"),
        ("not_bpmn.bpmn", "not_bpmn"),
    ],
)
def test_unsafe_or_broken_xml_is_never_stored_even_as_a_draft(
    session, shipped, designer_user, fixture, code
):
    data = (DATA / fixture).read_bytes()
    for attempt in (
        lambda: designer.save_draft(session, designer_user, "requirement", data, 0, 1),
        lambda: designer.validate_model(session, designer_user, "requirement", data),
        lambda: designer_new.upload_new_draft(session, designer_user, data),
    ):
        with pytest.raises(BpmnRefused) as refused:
            attempt()
        assert [p.code for p in refused.value.problems] == [code]
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 0


def test_a_camunda_modeler_file_names_every_extension_remtrack_would_not_run(
    session, designer_user
):
    data = (DATA / "camunda_modeler.bpmn").read_bytes()
    with pytest.raises(BpmnRefused) as refused:
        designer_new.upload_new_draft(session, designer_user, data)
    found = {p.element_id: p.params["names"] for p in refused.value.problems}
    assert found == {
        "Activity_approve": ["camunda:assignee", "camunda:candidateGroups", "camunda:taskListener"],
        "Activity_archive": [
            "camunda:type",
            "camunda:topic",
            "camunda:inputOutput",
            "camunda:inputParameter",
            "zeebe:taskDefinition",
        ],
    }
    assert all(p.code == "foreign_extension" for p in refused.value.problems)
    assert session.scalar(select(func.count()).select_from(ProcessDraft)) == 0


def test_a_bpmn_io_diagram_becomes_a_draft_and_deploys_once_marked_executable(
    session, designer_user
):
    data = (DATA / "bpmn_io_demo.bpmn").read_bytes()
    draft = designer_new.upload_new_draft(session, designer_user, data)
    assert (draft.key, draft.base_version, draft.lock_version) == ("Process_0qe8zyb", None, 1)
    with pytest.raises(BpmnRefused) as refused:
        designer.validate_model(session, designer_user, draft.key, data)
    assert [p.code for p in refused.value.problems] == ["executable_process_count"]
    executable = data.replace(b'isExecutable="false"', b'isExecutable="true"')
    deployed = designer.deploy_model(session, designer_user, draft.key, executable, 1)
    assert deployed.definition.key == "Process_0qe8zyb" and deployed.definition.version == 1


def test_an_upload_does_not_replace_a_draft_being_edited(session, designer_user):
    data = (DATA / "bpmn_io_demo.bpmn").read_bytes()
    designer_new.upload_new_draft(session, designer_user, data)
    with pytest.raises(Conflict):
        designer_new.upload_new_draft(session, designer_user, data)


def test_a_new_process_starts_from_a_template_that_validates(session, designer_user):
    draft = designer_new.start_process(session, designer_user, "complaint", "Xử lý đơn thư")
    stored = designer.find_draft(session, "complaint", with_xml=True)
    assert draft.base_version is None and "Xử lý đơn thư" in stored.bpmn_xml
    validated = designer.validate_model(
        session, designer_user, "complaint", stored.bpmn_xml.encode()
    )
    assert validated.lane_roles == {"Supervisor": "supervisor", "Responsible unit": "officer"}


@pytest.mark.parametrize("key", ["requirement", "9lives", "has space", "x" * 65, ""])
def test_a_new_process_needs_a_free_plain_key(session, shipped, designer_user, key):
    with pytest.raises(InvalidInput) as refused:
        designer_new.start_process(session, designer_user, key, "Name")
    assert refused.value.field == "key"


def test_an_unknown_process_is_not_found(session, designer_user):
    with pytest.raises(NotFound):
        designer.open_model(session, designer_user, "nothing_here")


def test_only_designers_and_administrators_change_processes(session, shipped, make_user):
    for roles in (("officer",), ("supervisor",), ("observer",)):
        user = make_user(roles=roles)
        with pytest.raises(NotAllowed):
            designer.open_model(session, user, "requirement")
        with pytest.raises(NotAllowed):
            designer.save_draft(session, user, "requirement", models.REQUIREMENT, 0, 1)
        with pytest.raises(NotAllowed):
            designer.deploy_model(session, user, "requirement", models.REQUIREMENT, 0)
    admin = make_user(roles=("admin",))
    assert designer.open_model(session, admin, "requirement").key == "requirement"


def test_two_real_transactions_saving_one_draft_keep_the_first(committed, make_user):
    factory = committed.factory
    with factory.begin() as s:
        definitions.deploy_shipped(s)
        from db.models import Body, User, UserRole
        from tests.factories import _default_hash

        body = Body(code="DZ1", name="Designers", kind="agency")
        s.add(body)
        s.flush()
        users = [
            User(
                username=f"designer{i}",
                full_name=f"Designer {i}",
                body_id=body.id,
                password_hash=_default_hash(),
                role_rows=[UserRole(role="designer")],
            )
            for i in (1, 2)
        ]
        s.add_all(users)
        s.flush()
        ids = [u.id for u in users]
        designer.save_draft(s, users[0], "requirement", models.REQUIREMENT, 0, 1)
    with factory.begin() as s:
        first = s.get(User, ids[0])
        designer.save_draft(s, first, "requirement", models.with_plan_review(), 1)
    with pytest.raises(Conflict), factory.begin() as s:
        second = s.get(User, ids[1])
        designer.save_draft(s, second, "requirement", models.with_escalating_overdue(), 1)
    with factory() as s:
        stored = designer.find_draft(s, "requirement", with_xml=True)
        assert stored.lock_version == 2 and "review_plan" in stored.bpmn_xml
