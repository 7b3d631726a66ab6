// remtrack's own bpmnlint rules: what the engine would refuse at deploy time, shown on
// the diagram while the designer draws. The catalogue of operations, the roles and the
// messages come from the page (see configureRules), so they match the server exactly.
import { is } from "bpmnlint-utils";

let page = { operations: [], roles: [], roleAliases: {}, messages: {} };

export function configureRules(data) {
  page = data;
}

// Same shape the engine's timer check calls "unquoted": ISO 8601 text without quotes.
const LOOKS_ISO = /^(R\d*\/)?(P[\dTYMWDHS.,]+|\d{4}-\d{2}-\d{2}\S*)(\/\S+)?$/i;

export function format(key, params = {}) {
  const text = page.messages[key] || key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

export function extension(node, type) {
  const values = (node.extensionElements && node.extensionElements.values) || [];
  return values.find((value) => is(value, type));
}

export function property(node, name) {
  const holder = extension(node, "spiffworkflow:Properties");
  const found = ((holder && holder.properties) || []).find((p) => p.name === name);
  return found ? found.value : undefined;
}

export function laneRole(lane) {
  const declared = property(lane, "role");
  if (declared !== undefined) {
    const value = String(declared).trim().toLowerCase();
    return page.roles.some((r) => r.value === value) ? value : null;
  }
  const name = (lane.name || "").split(/\s+/).filter(Boolean).join(" ").toLowerCase();
  return page.roleAliases[name] || null;
}

export function isUnquotedTimer(expression) {
  return LOOKS_ISO.test(String(expression || "").trim());
}

function literal(value) {
  const text = String(value || "").trim();
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return { known: true, value: quoted[2] };
  if (/^-?\d+$/.test(text)) return { known: true, value: Number(text) };
  return { known: false };
}

function checkParameters(node, operation, operator, reporter) {
  const given = {};
  ((operator.parameterList && operator.parameterList.parameters) || []).forEach((p) => {
    given[p.id] = p.value;
  });
  for (const param of operation.params) {
    if (!(param.name in given)) {
      if (param.required) {
        reporter.report(node.id, format("lintMissingParameter", { name: operation.name, parameter: param.name }));
      }
      continue;
    }
    const value = literal(given[param.name]);
    const choices = param.choices.map((c) => c.value);
    const empty = value.known && String(value.value).trim() === "";
    const badChoice = value.known && choices.length && !choices.includes(value.value);
    if (empty || badChoice) {
      reporter.report(node.id, format("lintBadChoice", { parameter: param.name, choices: choices.join(", ") || "…" }));
    }
  }
}

export function unknownOperation() {
  function check(node, reporter) {
    if (!is(node, "bpmn:ServiceTask")) return;
    const operator = extension(node, "spiffworkflow:ServiceTaskOperator");
    if (!operator || !operator.id) {
      reporter.report(node.id, format("lintNoOperation"));
      return;
    }
    const operation = page.operations.find((op) => op.name === operator.id);
    if (!operation) {
      reporter.report(node.id, format("lintUnknownOperation", { name: operator.id }));
      return;
    }
    checkParameters(node, operation, operator, reporter);
  }
  return { check };
}

export function operationIdClash() {
  function check(node, reporter) {
    if (node.id && node.$type && node.$type.startsWith("bpmn:") && page.operations.some((op) => op.name === node.id)) {
      reporter.report(node.id, format("lintIdClash", { name: node.id }));
    }
  }
  return { check };
}

export function unmappedLane() {
  function check(node, reporter) {
    if (is(node, "bpmn:Lane") && !laneRole(node)) {
      reporter.report(node.id, format("lintUnmappedLane", { name: node.name || node.id }));
    }
  }
  return { check };
}

export function taskOutsideLane() {
  function check(node, reporter) {
    if (!is(node, "bpmn:Process") || !node.laneSets || !node.laneSets.length) return;
    const inLane = new Set();
    const visit = (lanes) => (lanes || []).forEach((lane) => {
      (lane.flowNodeRef || []).forEach((ref) => inLane.add(ref.id));
      if (lane.childLaneSet) visit(lane.childLaneSet.lanes);
    });
    node.laneSets.forEach((set) => visit(set.lanes));
    (node.flowElements || [])
      .filter((el) => (is(el, "bpmn:UserTask") || is(el, "bpmn:ManualTask")) && !inLane.has(el.id))
      .forEach((el) => reporter.report(el.id, format("lintOutsideLane")));
  }
  return { check };
}

export function unquotedTimer() {
  function check(node, reporter) {
    if (!is(node, "bpmn:Event")) return;
    for (const definition of node.eventDefinitions || []) {
      if (!is(definition, "bpmn:TimerEventDefinition")) continue;
      for (const kind of ["timeDate", "timeDuration", "timeCycle"]) {
        const body = definition[kind] && definition[kind].body;
        if (isUnquotedTimer(body)) {
          reporter.report(node.id, format("lintUnquotedTimer", { value: String(body).trim() }));
        }
      }
    }
  }
  return { check };
}
