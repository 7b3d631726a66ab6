"""Deploy-time validation: every bad model is refused with problems naming the element."""

from __future__ import annotations

import pytest
from lxml import etree

from workflows.engine.errors import BpmnRefused, Problem
from workflows.engine.roles import ROLES
from workflows.engine.validation import validate_bpmn
from workflows.engine.xmlsafe import make_parser, parse_bpmn_xml

from .conftest import DATA, MODELS


def refused(case: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(BpmnRefused) as raised:
        validate_bpmn((DATA / f"{case}.bpmn").read_bytes(), **kwargs)  # type: ignore[arg-type]
    assert raised.value.problems, "a refusal always says why"
    return raised.value.problems


def codes(problems: list[Problem]) -> set[tuple[str | None, str]]:
    return {(p.element_id, p.code) for p in problems}


@pytest.mark.parametrize("model", sorted(p.stem for p in MODELS.glob("*.bpmn")))
def test_shipped_model_validates(model):
    result = validate_bpmn((MODELS / f"{model}.bpmn").read_bytes())
    assert result.process_id == model
    assert set(result.lane_roles.values()) <= ROLES
    assert result.spec_json


def test_requirement_model_maps_lanes_and_lists_its_messages():
    result = validate_bpmn((MODELS / "requirement.bpmn").read_bytes())
    assert result.lane_roles == {"Responsible unit": "officer", "Supervisor": "supervisor"}
    assert result.messages == ["escalated", "extension_requested", "withdrawn"]


def test_small_valid_model_passes():
    assert validate_bpmn((DATA / "valid_small.bpmn").read_bytes()).process_id == "valid_small"


def test_malformed_xml_is_refused_with_its_line():
    [problem] = refused("malformed")
    assert problem.code == "malformed_xml"
    assert problem.params["line"] == 5
    assert "not well-formed" in problem.message


def test_xxe_is_refused_and_never_resolved():
    [problem] = refused("xxe")
    assert problem.code == "doctype_refused"
    # Even past the DOCTYPE check, the parser itself never reads the local file.
    data = (DATA / "xxe.bpmn").read_bytes()
    tree = etree.fromstring(data, parser=make_parser())
    assert "root:" not in etree.tostring(tree, encoding="unicode")


def test_billion_laughs_is_refused_before_expansion():
    [problem] = refused("billion_laughs")
    assert problem.code == "doctype_refused"


def test_doctype_without_entities_is_refused_too():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE x><bpmn:definitions xmlns:bpmn="'
        b'http://www.omg.org/spec/BPMN/20100524/MODEL"/>'
    )
    with pytest.raises(BpmnRefused, match="DOCTYPE"):
        parse_bpmn_xml(data)


def test_utf16_doctype_is_still_found():
    data = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><definitions/>'
    ).encode("utf-16")
    with pytest.raises(BpmnRefused, match="DOCTYPE"):
        parse_bpmn_xml(data)


def test_non_bpmn_xml_is_refused():
    [problem] = refused("not_bpmn")
    assert problem.code == "not_bpmn"
    assert "svg" in problem.message


def test_unknown_service_operation_is_refused_by_element():
    problems = refused("unknown_operation")
    assert codes(problems) == {("act", "unknown_operation")}
    assert "'delete_everything'" in problems[0].message
    assert "set_status" in problems[0].message  # says what to choose instead


def test_bad_operation_parameters_are_refused_by_element():
    problems = refused("bad_parameter")
    assert codes(problems) == {("act", "unknown_parameter"), ("act", "bad_parameter")}
    assert any("'finished'" in p.message for p in problems)


def test_unquoted_iso_timer_is_refused_with_the_fix_spelled_out():
    [problem] = refused("unquoted_timer")
    assert (problem.element_id, problem.code) == ("wait", "timer_unquoted")
    assert problem.message == (
        'Timer "Wait a moment": the expression PT1S is not valid; write '
        'it quoted, "PT1S", or use a variable such as deadline.'
    )


def test_timer_variable_missing_from_sample_data_is_refused():
    data = (DATA / "valid_small.bpmn").read_bytes().replace(b'"PT1S"', b"wait_for")
    with pytest.raises(BpmnRefused, match="wait_for could not be evaluated"):
        validate_bpmn(data)
    assert validate_bpmn(data, sample_data={"wait_for": "P2D"})


def test_timer_giving_a_naive_date_is_refused():
    data = (
        (DATA / "valid_small.bpmn")
        .read_bytes()
        .replace(
            b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1S"</bpmn:timeDuration>',
            b'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">"2030-01-01T00:00:00"</bpmn:timeDate>',  # noqa: E501
        )
    )
    with pytest.raises(BpmnRefused, match="no time zone"):
        validate_bpmn(data)


def test_script_with_an_escape_attempt_is_refused_quoting_it():
    [problem] = refused("script_escape")
    assert (problem.element_id, problem.code) == ("act", "script_refused")
    assert 'Script task "Act" (act)' in problem.message
    assert "x = ().__class__.__base__.__subclasses__()" in problem.message


@pytest.mark.parametrize("case", ["lane_without_role", "lane_with_unknown_role_property"])
def test_lane_mapping_to_no_role_is_refused(case):
    [problem] = refused(case)
    assert (problem.element_id, problem.code) == ("Lane_supervisor", "lane_without_role")


def test_lane_roles_are_checked_against_the_roles_given():
    problems = refused("valid_small", roles={"officer"})
    assert codes(problems) == {("Lane_supervisor", "lane_without_role")}


def test_user_task_outside_every_lane_is_refused():
    [problem] = refused("task_outside_lane")
    assert (problem.element_id, problem.code) == ("orphan_task", "task_outside_lane")
    assert problem.message.startswith('User task "Nobody\'s task" (orphan_task)')


def test_all_problems_are_reported_at_once():
    assert codes(refused("many_problems")) >= {
        ("Lane_supervisor", "lane_without_role"),
        ("orphan_task", "task_outside_lane"),
        ("act", "unknown_operation"),
        ("wait", "timer_unquoted"),
    }


def test_schema_errors_name_the_element_and_line():
    data = (
        (DATA / "valid_small.bpmn")
        .read_bytes()
        .replace(
            b'<bpmn:userTask id="review" name="Review">',
            b'<bpmn:userTask id="review" name="Review" colour="red">',
        )
    )
    problems = refused_bytes(data)
    assert ("review", "schema_error") in codes(problems)


def test_process_file_needs_exactly_one_executable_process():
    data = (
        (DATA / "valid_small.bpmn")
        .read_bytes()
        .replace(b'isExecutable="true"', b'isExecutable="false"')
    )
    assert codes(refused_bytes(data)) == {(None, "executable_process_count")}


def test_element_id_clashing_with_an_operation_name_is_explained():
    data = (
        (DATA / "valid_small.bpmn")
        .read_bytes()
        .replace(b'id="act"', b'id="set_status"')
        .replace(b'targetRef="act"', b'targetRef="set_status"')
        .replace(b'sourceRef="act"', b'sourceRef="set_status"')
    )
    assert ("set_status", "id_clashes_with_operation") in codes(refused_bytes(data))


def test_problems_carry_stable_codes_and_params_for_translation():
    [problem] = refused("unquoted_timer")
    assert problem.params == {"expression": "PT1S", "kind": "timeDuration"}
    assert problem.code.isidentifier() and problem.code.islower()


def refused_bytes(data: bytes) -> list[Problem]:
    with pytest.raises(BpmnRefused) as raised:
        validate_bpmn(data)
    return raised.value.problems
