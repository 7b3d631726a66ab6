"""The designer over HTTP: who gets in, the modeler's JSON endpoints (CSRF, refusals with
element ids, nothing stored on a refusal), uploads, the version diff and migration pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import InstanceMigration, ProcessDefinition, ProcessDraft, ProcessInstance
from tests.conftest import login, post_form
from tests.integration import designer_support as models
from workflows import definitions
from workflows import requirements as verbs

DATA = models.definitions.SHIPPED.parent / "tests" / "engine" / "data"
META = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def shipped(session: Any) -> None:
    definitions.deploy_shipped(session)


@pytest.fixture
def designer(client: Any, make_user: Any, cast: Any) -> Any:
    user = make_user(body=cast.commission, roles=("designer",), locale="en")
    login(client, user.username)
    return user


def token(client: Any, key: str = "requirement") -> str:
    page = client.get(f"/designer/{key}/edit")
    assert page.status_code == 200
    found = META.search(page.get_data(as_text=True))
    assert found
    return found.group(1)


def call(client: Any, path: str, payload: dict[str, Any], csrf: str | None = "") -> Any:
    headers = {} if csrf is None else {"X-CSRFToken": csrf or token(client)}
    return client.post(path, json=payload, headers=headers)


def count(session: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def xml(data: bytes) -> str:
    return data.decode()


@pytest.mark.parametrize("roles", [("officer",), ("supervisor",), ("observer",)])
def test_other_roles_do_not_reach_the_designer(client, make_user, shipped, roles):
    login(client, make_user(roles=roles).username)
    assert client.get("/designer/requirement/edit").status_code == 403
    assert client.get("/designer/requirement/model.bpmn").status_code == 403
    assert client.get("/designer/requirement/v1/migrate").status_code == 403
    assert client.post("/designer/requirement/draft", json={}).status_code in (400, 403)
    page = client.get("/processes").get_data(as_text=True)
    assert "/designer/requirement/edit" not in page and "upload-file" not in page


def test_an_anonymous_visitor_is_sent_to_log_in(client, shipped):
    assert client.get("/designer/requirement/edit").status_code == 302


def test_the_modeler_page_carries_the_catalogue_and_the_draft_state(client, shipped, designer):
    page = client.get("/designer/requirement/edit").get_data(as_text=True)
    assert 'data-lock-version="0"' in page and 'data-base-version="1"' in page
    assert '"name": "escalate"' in page or '"name":"escalate"' in page
    assert client.get("/designer/requirement/model.bpmn").get_data() == models.REQUIREMENT


def test_a_json_call_without_the_csrf_token_is_refused(client, session, shipped, designer):
    reply = call(client, "/designer/requirement/draft", {"xml": xml(models.REQUIREMENT)}, None)
    assert reply.status_code == 400 and count(session, ProcessDraft) == 0


def test_saving_twice_from_the_same_version_refuses_the_second(client, session, shipped, designer):
    body = {"xml": xml(models.with_plan_review()), "lock_version": 0, "base_version": 1}
    first = call(client, "/designer/requirement/draft", body)
    assert first.status_code == 200 and first.json["lock_version"] == 1
    second = call(client, "/designer/requirement/draft", {**body, "xml": xml(models.REQUIREMENT)})
    assert second.status_code == 409
    assert (
        second.json["code"] == "draft_stale" and "nothing was overwritten" in second.json["error"]
    )
    assert "review_plan" in session.scalar(select(ProcessDraft.bpmn_xml))


@pytest.mark.parametrize(
    ("payload", "status"),
    [({}, 400), ({"xml": 5}, 400), ({"xml": "<x/>", "lock_version": -1}, 400)],
)
def test_a_malformed_request_is_refused_in_words(
    client, session, shipped, designer, payload, status
):
    reply = call(client, "/designer/requirement/draft", payload)
    assert reply.status_code == status and reply.json["error"]
    assert count(session, ProcessDraft) == 0


def test_validation_names_each_problem_with_its_element(client, session, shipped, designer):
    bad = models.with_unmapped_lane(models.with_unknown_operation())
    reply = call(client, "/designer/requirement/validate", {"xml": xml(bad)})
    assert reply.status_code == 422
    found = {(p["code"], p["element_id"]) for p in reply.json["problems"]}
    assert {("unknown_operation", "notify_overdue"), ("lane_without_role", "Lane_officer")} <= found
    message = next(p["message"] for p in reply.json["problems"] if p["code"] == "unknown_operation")
    assert '"Notify supervisor" (notify_overdue)' in message and "delete_everything" in message


def test_problems_read_in_vietnamese_for_a_vietnamese_designer(client, make_user, shipped):
    login(client, make_user(roles=("designer",), locale="vi").username)
    reply = call(
        client, "/designer/requirement/validate", {"xml": xml(models.with_unquoted_timer())}
    )
    (problem,) = reply.json["problems"]
    assert problem["code"] == "timer_unquoted" and "PT1S" in problem["message"]
    assert "Timer" not in problem["message"]  # translated, not the English sentence


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (models.with_unknown_operation, "unknown_operation"),
        (models.with_unquoted_timer, "timer_unquoted"),
        (models.with_escape_script, "script_refused"),
        (models.with_unmapped_lane, "lane_without_role"),
        (models.with_process_id, "process_key_mismatch"),
    ],
)
def test_a_refused_deploy_stores_nothing(client, session, shipped, designer, make, code):
    reply = call(client, "/designer/requirement/deploy", {"xml": xml(make()), "lock_version": 0})
    assert reply.status_code == 422 and code in {p["code"] for p in reply.json["problems"]}
    assert count(session, ProcessDefinition) == 4 and count(session, ProcessDraft) == 0


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("malformed.bpmn", "malformed_xml"),
        ("xxe.bpmn", "doctype_refused"),
        ("billion_laughs.bpmn", "doctype_refused"),
        ("not_bpmn.bpmn", "not_bpmn"),
        ("camunda_modeler.bpmn", "foreign_extension"),
    ],
)
def test_a_file_opened_in_the_modeler_is_checked_first(
    client, session, shipped, designer, fixture, code
):
    reply = client.post(
        "/designer/requirement/upload-check",
        data={"file": ((DATA / fixture).open("rb"), fixture)},
        headers={"X-CSRFToken": token(client)},
    )
    assert reply.status_code == 422 and {p["code"] for p in reply.json["problems"]} == {code}
    for problem in reply.json["problems"]:
        assert problem["message"]


def test_a_safe_file_opened_in_the_modeler_comes_back_to_be_drawn(client, shipped, designer):
    reply = client.post(
        "/designer/requirement/upload-check",
        data={"file": ((DATA / "bpmn_io_demo.bpmn").open("rb"), "demo.bpmn")},
        headers={"X-CSRFToken": token(client)},
    )
    assert reply.status_code == 200 and "Process_0qe8zyb" in reply.json["xml"]


def test_deploying_from_the_modeler_makes_version_two(client, session, shipped, designer):
    changed = xml(models.with_plan_review())
    call(
        client,
        "/designer/requirement/draft",
        {"xml": changed, "lock_version": 0, "base_version": 1},
    )
    reply = call(client, "/designer/requirement/deploy", {"xml": changed, "lock_version": 1})
    assert reply.status_code == 200 and reply.json["version"] == 2 and reply.json["created"]
    assert reply.json["migrate_url"] == "/designer/requirement/v2/migrate"
    assert count(session, ProcessDraft) == 0
    listing = client.get("/processes").get_data(as_text=True)
    assert "v2" in listing and "/designer/requirement/diff?from=1&amp;to=2" in listing


def test_uploading_a_camunda_file_from_the_list_names_what_is_not_run(
    client, session, shipped, designer
):
    page = post_form(
        client,
        "/designer/upload",
        {"upload-file": ((DATA / "camunda_modeler.bpmn").open("rb"), "invoice.bpmn")},
        form_page="/processes",
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "camunda:taskListener" in text and "zeebe:taskDefinition" in text
    assert count(session, ProcessDraft) == 0


def test_uploading_a_bpmn_io_file_from_the_list_opens_its_draft(client, session, shipped, designer):
    reply = post_form(
        client,
        "/designer/upload",
        {"upload-file": ((DATA / "bpmn_io_demo.bpmn").open("rb"), "demo.bpmn")},
        form_page="/processes",
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302 and reply.headers["Location"].endswith(
        "/designer/Process_0qe8zyb/edit"
    )
    assert client.get("/designer/Process_0qe8zyb/edit").status_code == 200
    assert "Process_0qe8zyb" in client.get("/processes").get_data(as_text=True)


def test_a_new_process_and_discarding_its_draft(client, session, shipped, designer):
    reply = post_form(
        client,
        "/designer/new",
        {"new-key": "complaint", "new-name": "Đơn thư"},
        form_page="/processes",
    )
    assert reply.status_code == 302
    page = client.get("/designer/complaint/edit").get_data(as_text=True)
    assert 'data-lock-version="1"' in page
    reply = post_form(
        client, "/designer/complaint/discard", {"lock_version": 1}, "/designer/complaint/edit"
    )
    assert reply.status_code == 302 and count(session, ProcessDraft) == 0


def test_a_new_process_with_a_taken_key_is_refused_on_the_field(client, shipped, designer):
    page = post_form(
        client, "/designer/new", {"new-key": "requirement", "new-name": "x"}, form_page="/processes"
    )
    assert page.status_code == 400 and "exists already" in page.get_data(as_text=True)


def test_the_version_diff_lists_what_changed(client, session, shipped, designer):
    definitions.deploy(session, models.with_plan_review(models.with_escalating_overdue()))
    page = client.get("/designer/requirement/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-element-id="review_plan"' in page and "diff-added" in page
    assert "escalate(level=1)" in page and 'data-element-id="Flow_planned"' in page
    assert client.get("/designer/requirement/diff?from=1&to=9").status_code == 404


def test_the_migration_page_previews_and_moves_instances(
    client, session, cast, designer, make_requirement
):
    waiting, planning = make_requirement(), make_requirement()
    verbs.acknowledge_requirement(session, cast.officer, planning.id)
    definitions.deploy(session, models.with_plan_review())
    page = client.get("/designer/requirement/v2/migrate").get_data(as_text=True)
    assert f'value="{waiting.process_instance_id}"' in page
    assert "submit_plan" in page  # why the planning one cannot move
    ids = [waiting.process_instance_id, planning.process_instance_id]
    reply = post_form(
        client,
        "/designer/requirement/v2/migrate",
        {"instances": ids},
        "/designer/requirement/v2/migrate",
    )
    assert reply.status_code == 302
    assert count(session, InstanceMigration) == 1
    moved = session.get(ProcessInstance, waiting.process_instance_id)
    session.refresh(moved)
    assert moved.definition.version == 2


def test_instances_outside_reach_cannot_be_migrated_by_id(
    client, session, make_user, make_requirement
):
    req = make_requirement()
    definitions.deploy(session, models.with_plan_review())
    login(client, make_user(roles=("designer",), locale="en").username)
    page = client.get("/designer/requirement/v2/migrate").get_data(as_text=True)
    assert f'value="{req.process_instance_id}"' not in page
    reply = post_form(
        client,
        "/designer/requirement/v2/migrate",
        {"instances": [req.process_instance_id]},
        "/designer/requirement/v2/migrate",
        follow_redirects=True,
    )
    assert "not a running instance you may migrate" in reply.get_data(as_text=True)
    assert count(session, InstanceMigration) == 0
