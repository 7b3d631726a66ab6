"""Every shipped model opens cleanly in bpmn-js, in a real Chromium."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.e2e.conftest import screenshot
from workflows import definitions

pytestmark = pytest.mark.e2e
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"


@pytest.fixture(scope="module")
def officer(live_server):
    return live_server.load_demo()["officer"]


@pytest.mark.parametrize("key", ["requirement", "conclusion", "referral", "accountability"])
def test_a_shipped_model_opens_in_bpmn_js_without_warnings(page, live_server, officer, key):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", officer[0])
    page.fill("#password", officer[1])
    page.click("button[type=submit].primary")
    page.goto(f"{live_server.url}/processes/{key}/v1")
    diagram = page.locator("#diagram")
    page.wait_for_function("document.querySelector('#diagram').dataset.ready !== undefined")
    assert diagram.get_attribute("data-ready") == "true"
    assert diagram.get_attribute("data-warnings") == "0"
    shapes = etree.parse(str(definitions.SHIPPED / f"{key}.bpmn")).getroot()
    drawn = len(shapes.findall(f".//{DI}BPMNShape")) + len(shapes.findall(f".//{DI}BPMNEdge"))
    # bpmn-js adds the root and a label per labelled element on top of what the file draws
    assert int(diagram.get_attribute("data-elements")) > drawn
    assert page.locator("#diagram .djs-element").count() > drawn // 2
    screenshot(page, f"diagram-{key}")
