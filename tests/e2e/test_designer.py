"""In a real Chromium, a process designer changes the requirement model: adds a review task
for the supervisor, makes overdue requirements escalate through the properties panel, is
stopped by the lint rules on an unquoted timer, validates, deploys version 2, migrates the
running instances — and a new requirement then runs on version 2 and shows the new task in
the supervisor's inbox. Bad files and stale drafts are refused with a message on the
diagram, and nothing is deployed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import Body, ProcessDefinition, ProcessDraft, ProcessInstance, User, UserTask
from tests.e2e.conftest import screenshot
from tests.integration import designer_support as models
from workflows import requirements as verbs
from workflows.conclusions import VIETNAM, ConclusionInput, RequirementInput, issue_conclusion

pytestmark = pytest.mark.e2e
DATA = Path(__file__).resolve().parents[1] / "engine" / "data"


@pytest.fixture(scope="module")
def logins(live_server: Any) -> dict[str, tuple[str, str]]:
    return live_server.load_demo()


def log_in(page: Any, live_server: Any, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def open_modeler(page: Any, live_server: Any, key: str) -> None:
    page.goto(f"{live_server.url}/designer/{key}/edit")
    page.wait_for_function("document.querySelector('#modeler').dataset.ready === 'true'")
    page.wait_for_function("document.querySelector('#modeler').dataset.lintErrors !== undefined")


def lint_errors(page: Any) -> int:
    page.wait_for_timeout(300)  # linting runs after each change, asynchronously
    return int(page.get_attribute("#modeler", "data-lint-errors"))


def point(
    page: Any, element_id: str | None = None, x: float = 0, y: float = 0
) -> tuple[float, float]:
    """Screen coordinates of an element's centre, or of a point in diagram coordinates."""
    found: list[float] = page.evaluate(
        """([id, x, y]) => {
            const m = window.remtrackModeler, canvas = m.get('canvas'), vb = canvas.viewbox();
            if (id) {
              const el = m.get('elementRegistry').get(id);
              x = el.waypoints ? (el.waypoints[0].x + el.waypoints[1].x) / 2 : el.x + el.width / 2;
              y = el.waypoints ? (el.waypoints[0].y + el.waypoints[1].y) / 2 : el.y + el.height / 2;
            }
            const box = canvas.getContainer().getBoundingClientRect();
            return [box.left + (x - vb.x) * vb.scale, box.top + (y - vb.y) * vb.scale];
        }""",
        [element_id, x, y],
    )
    return found[0], found[1]


def deselect(page: Any) -> None:
    """Click the empty canvas below the pool, so no context pad covers what comes next (the
    first click may only end the label editor)."""
    for _ in range(3):
        page.mouse.click(*point(page, x=1000, y=950))
        page.wait_for_timeout(100)
        if page.locator(".djs-context-pad.open").count() == 0:
            return
    raise AssertionError("the context pad stays open")


def click_element(page: Any, element_id: str) -> None:
    deselect(page)
    page.mouse.click(*point(page, element_id))
    page.wait_for_selector(".djs-context-pad.open", timeout=3000)


def open_group(page: Any, group: str) -> None:
    """Unfold a group of the properties panel (they remember being open)."""
    header = page.locator(f"[data-group-id='group-{group}'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def semantic(page: Any, script: str) -> Any:
    """Read the diagram's model (never change it: changes go through the UI)."""
    return page.evaluate(
        f"() => {{ const r = window.remtrackModeler.get('elementRegistry'); {script} }}"
    )


def add_user_task_in_supervisor_lane(page: Any) -> None:
    # Palette: create a task, drop it into the empty left part of the supervisor lane.
    page.click(".djs-palette .entry[data-action='create.task']")
    target = point(page, x=420, y=250)
    page.mouse.move(target[0] - 20, target[1] - 20)
    page.mouse.move(*target, steps=5)
    page.mouse.click(*target)
    created = page.evaluate("() => window.remtrackModeler.get('selection').get()[0].id")
    page.keyboard.press("Escape")  # leave the label editor; the name is set in the panel
    # Context pad: turn it into a user task.
    click_element(page, created)
    page.click(".djs-context-pad .entry[data-action='replace']")
    page.click(".djs-popup [data-id='replace-with-user-task']")
    open_group(page, "general")
    page.fill("#bio-properties-panel-id", "review_plan")
    page.fill("#bio-properties-panel-name", "Review remediation plan")
    page.keyboard.press("Tab")
    page.wait_for_function(
        "window.remtrackModeler.get('elementRegistry').get('review_plan') !== undefined"
    )
    # Re-route the plan through it: delete the old flow, connect both ends.
    deselect(page)
    page.mouse.click(*point(page, "Flow_planned"))
    page.click(".djs-context-pad .entry[data-action='delete']")
    for source, target_id in (("submit_plan", "review_plan"), ("review_plan", "gw_to_remediate")):
        click_element(page, source)
        page.click(".djs-context-pad .entry[data-action='connect']")
        page.mouse.move(*point(page, target_id), steps=5)
        page.mouse.click(*point(page, target_id))


def test_a_designer_changes_deploys_and_migrates_the_requirement_model(
    page: Any, browser: Any, live_server: Any, logins: Any
) -> None:
    with live_server.session() as s:
        running_v1 = s.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == "requirement", ProcessInstance.status == "running")
        )
    assert running_v1, "the demo data should have running requirements"

    log_in(page, live_server, *logins["designer"])
    page.goto(f"{live_server.url}/processes")
    page.click("#process-requirement a.button.primary")
    page.wait_for_function("document.querySelector('#modeler').dataset.ready === 'true'")
    page.wait_for_function("document.querySelector('#modeler').dataset.lintErrors !== undefined")
    assert page.get_attribute("#modeler", "data-warnings") == "0"
    assert lint_errors(page) == 0  # the shipped model passes every lint rule

    add_user_task_in_supervisor_lane(page)
    lanes = semantic(
        page,
        "return r.get('Lane_supervisor').businessObject.flowNodeRef.map(n => n.id);",
    )
    assert "review_plan" in lanes
    assert semantic(page, "return r.get('review_plan').businessObject.$type;") == "bpmn:UserTask"
    ends = semantic(
        page,
        "const bo = r.get('review_plan').businessObject;"
        "return [bo.incoming.map(f => f.sourceRef.id), bo.outgoing.map(f => f.targetRef.id)];",
    )
    assert ends == [["submit_plan"], ["gw_to_remediate"]]

    # The overdue path escalates instead of notifying: operation and parameter in the panel.
    click_element(page, "notify_overdue")
    page.select_option("#bio-properties-panel-remtrack-operation", "escalate")
    page.fill("#bio-properties-panel-remtrack-param-level", "1")
    page.keyboard.press("Tab")
    operator = semantic(
        page,
        "const op = r.get('notify_overdue').businessObject.extensionElements.values[0];"
        "return [op.id, op.parameterList.parameters.map(p => [p.id, p.value])];",
    )
    assert operator == ["escalate", [["level", "1"]]]

    # A duration typed the way other modelers take it is flagged on the diagram.
    click_element(page, "ev_deadline")
    page.select_option("#bio-properties-panel-remtrack-timer-kind", "timeDuration")
    page.fill("#bio-properties-panel-remtrack-timer-expression", "P30D")
    page.keyboard.press("Tab")
    assert lint_errors(page) == 1
    assert page.locator(".bjsl-overlay").count() >= 1
    assert "P30D" in page.locator("[data-entry-id='remtrack-timer-expression']").inner_text()
    page.fill("#bio-properties-panel-remtrack-timer-expression", '"P30D"')
    page.keyboard.press("Tab")
    assert lint_errors(page) == 0

    # Save survives a reload; the server's validation agrees.
    page.click("#btn-save")
    page.wait_for_selector(".designer-status-ok")
    click_element(page, "notify_overdue")
    screenshot(page, "designer-modeler")
    page.reload()
    page.wait_for_function("document.querySelector('#modeler').dataset.ready === 'true'")
    assert semantic(page, "return !!r.get('review_plan');")
    assert page.get_attribute("#modeler", "data-lock-version") == "1"
    page.click("#btn-validate")
    page.wait_for_selector(".designer-status-ok")
    assert page.locator("#designer-problems").is_hidden()

    with page.expect_download() as download:
        page.click("#btn-download")
    assert download.value.suggested_filename == "requirement.bpmn"
    assert b"review_plan" in Path(download.value.path()).read_bytes()

    page.click("#btn-deploy")
    page.wait_for_selector("#migrate-link")
    assert page.get_attribute("#modeler", "data-deployed-version") == "2"
    with live_server.session() as s:
        assert s.scalar(select(ProcessDraft).where(ProcessDraft.key == "requirement")) is None

    # Migration: the preview splits the running instances, one click moves the movable ones.
    page.click("#migrate-link")
    movable = page.locator("#movable input[name=instances]").count()
    blocked = page.locator("#blocked tbody tr").count()
    outside = int(page.get_attribute("#migrate-form", "data-outside-reach"))
    assert movable + blocked + outside == running_v1 and movable > 0 and blocked > 0
    screenshot(page, "designer-migration-preview")
    page.click("#migrate-submit")
    assert f"{movable}" in page.locator(".flash-success").inner_text()
    with live_server.session() as s:
        on_v2 = s.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == "requirement", ProcessDefinition.version == 2)
        )
    assert on_v2 == movable

    # A new requirement runs on version 2 and brings the supervisor the new task.
    requirement_id = _new_requirement_through_plan(live_server)
    with live_server.session() as s:
        names = s.scalars(
            select(UserTask.name)
            .join(ProcessInstance, ProcessInstance.id == UserTask.instance_id)
            .join(ProcessDefinition)
            .where(ProcessDefinition.version == 2, UserTask.name == "review_plan")
        ).all()
    assert names, f"requirement {requirement_id} shows no review task on version 2"
    log_in(page, live_server, *logins["supervisor"])
    page.goto(f"{live_server.url}/inbox")
    assert page.get_by_text("Review remediation plan").count() >= 1
    screenshot(page, "designer-supervisor-inbox")


def _new_requirement_through_plan(live_server: Any) -> int:
    with live_server.session_factory.begin() as s:
        supervisor = s.scalar(select(User).where(User.username == "giamsat.hn"))
        officer = s.scalar(select(User).where(User.username == "canbo.bd"))
        unit = s.scalar(select(Body).where(Body.code == "QU-BD"))
        data = ConclusionInput(
            number="E2E-DESIGNER/KL",
            title="Kết luận kiểm tra sau khi đổi quy trình",
            source="party_inspection",
            issue_date=utcnow().astimezone(VIETNAM).date() - timedelta(days=1),
            subject_body_id=unit.id,
            summary="Một kiến nghị chạy trên phiên bản 2.",
            requirements=(
                RequirementInput(
                    text="Thu hồi khoản chi sai.",
                    category="administrative",
                    responsible_body_id=unit.id,
                    deadline=utcnow() + timedelta(days=40),
                ),
            ),
        )
        requirement = issue_conclusion(s, supervisor, data).requirements[0]
        verbs.acknowledge_requirement(s, officer, requirement.id)
        verbs.submit_plan(s, officer, requirement.id, "Thu hồi trong quý này.")
        return requirement.id


# -- bad input through the browser ------------------------------------------------------


def _versions(live_server: Any) -> int:
    with live_server.session() as s:
        return s.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


@pytest.mark.parametrize(
    ("fixture", "words"),
    [
        ("malformed.bpmn", "XML"),
        ("xxe.bpmn", "DOCTYPE"),
        ("billion_laughs.bpmn", "DOCTYPE"),
        ("not_bpmn.bpmn", "BPMN"),
        ("camunda_modeler.bpmn", "camunda:"),
    ],
)
def test_a_file_the_engine_must_not_read_is_refused_on_the_diagram(
    page: Any, live_server: Any, logins: Any, fixture: str, words: str
) -> None:
    before = _versions(live_server)
    log_in(page, live_server, *logins["designer"])
    open_modeler(page, live_server, "conclusion")
    page.set_input_files("#file-open", str(DATA / fixture))
    banner = page.locator("#modeler .canvas-banner")
    banner.wait_for(state="visible")
    assert words in banner.inner_text() or words in page.locator("#designer-problems").inner_text()
    assert semantic(page, "return !!r.get('final_assessment');")  # the diagram is unchanged
    assert _versions(live_server) == before


BAD_MODELS = {
    "unknown operation": (models.with_unknown_operation, "unknown_operation", "notify_overdue"),
    "unquoted timer": (models.with_unquoted_timer, "timer_unquoted", "ev_deadline"),
    "escape attempt": (models.with_escape_script, "script_refused", "apply_extension"),
    "unmapped lane": (models.with_unmapped_lane, "lane_without_role", "Lane_officer"),
    "process id clash": (models.with_process_id, "process_key_mismatch", "conclusion"),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_a_bad_model_is_marked_on_the_diagram_and_not_deployed(
    page: Any, live_server: Any, logins: Any, tmp_path: Path, case: str
) -> None:
    make, code, element_id = BAD_MODELS[case]
    path = tmp_path / "bad.bpmn"
    path.write_bytes(make())
    before = _versions(live_server)
    log_in(page, live_server, *logins["designer"])
    open_modeler(page, live_server, "requirement")
    page.set_input_files("#file-open", str(path))
    page.wait_for_selector(".designer-status-ok")  # the file itself is safe to open
    if code in ("unknown_operation", "timer_unquoted", "lane_without_role"):
        assert lint_errors(page) >= 1  # the browser says so before the server does
    page.click("#btn-deploy")
    page.wait_for_selector(f"#designer-problems li[data-code='{code}']")
    item = page.locator(f"#designer-problems li[data-code='{code}']").first
    assert item.get_attribute("data-element-id") == element_id
    if code != "process_key_mismatch":
        page.wait_for_selector(f".server-problem-badge[data-element-id='{element_id}']")
    assert _versions(live_server) == before
    with live_server.session() as s:
        assert s.scalar(select(ProcessDraft).where(ProcessDraft.key == "requirement")) is None


def test_the_second_of_two_concurrent_saves_is_refused_and_overwrites_nothing(
    browser: Any, live_server: Any, logins: Any
) -> None:
    first, second = (browser.new_context(viewport={"width": 1280, "height": 860}) for _ in "ab")
    try:
        pages = [ctx.new_page() for ctx in (first, second)]
        for pg in pages:
            log_in(pg, live_server, *logins["designer"])
            open_modeler(pg, live_server, "referral")
        _rename_process(pages[0], "Referral, first designer")
        pages[0].click("#btn-save")
        pages[0].wait_for_selector(".designer-status-ok")
        _rename_process(pages[1], "Referral, second designer")
        pages[1].click("#btn-save")
        pages[1].wait_for_selector(".designer-status-error")
        assert "nothing was overwritten" in pages[1].locator("#designer-status").inner_text() or (
            "không ghi đè" in pages[1].locator("#designer-status").inner_text()
        )
        assert pages[1].locator("#modeler .canvas-banner").is_visible()
        screenshot(pages[1], "designer-stale-draft")
        with live_server.session() as s:
            draft = s.scalar(select(ProcessDraft).where(ProcessDraft.key == "referral"))
            assert draft is not None and "Referral, first designer" in draft.bpmn_xml
    finally:
        first.close()
        second.close()


def _rename_process(page: Any, name: str) -> None:
    click_element(page, "acknowledge_referral")
    open_group(page, "general")
    page.fill("#bio-properties-panel-name", name)
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)


def test_the_version_diff_colours_what_changed_on_both_diagrams(
    page: Any, live_server: Any, logins: Any
) -> None:
    from workflows import definitions

    with live_server.session_factory.begin() as s:
        shipped = (definitions.SHIPPED / "accountability.bpmn").read_bytes()
        renamed = shipped.replace(b'name="Review explanation"', b'name="Review the explanation"')
        v2 = definitions.deploy(s, renamed, expected_key="accountability").definition.version
    log_in(page, live_server, *logins["designer"])
    page.goto(f"{live_server.url}/designer/accountability/diff?from=1&to={v2}")
    page.wait_for_function("document.querySelector('#diagram-new').dataset.ready === 'true'")
    assert page.locator(".diff-list tr.diff-changed").count() == 1
    assert page.locator(".diff-list tr[data-element-id='review_explanation']").count() == 1
    assert page.get_attribute("#diagram-new", "data-marked") == "1"
    page.wait_for_function("document.querySelector('#diagram-old').dataset.ready === 'true'")
    assert page.locator("#diagram-new .diff-changed[data-element-id='review_explanation']").count()
    screenshot(page, "designer-version-diff")
