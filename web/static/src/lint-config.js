// The packed bpmnlint configuration bpmn-js-bpmnlint expects ({ config, resolver }):
// bpmnlint's structural rules that fit the engine, plus remtrack's own (lint-rules.js).
// Rules are imported statically, so the bundle needs no bpmnlint loader plugin.
import StaticResolver from "bpmnlint/lib/resolver/static-resolver.js";
import conditionalFlows from "bpmnlint/rules/conditional-flows.js";
import endEventRequired from "bpmnlint/rules/end-event-required.js";
import eventBasedGateway from "bpmnlint/rules/event-based-gateway.js";
import fakeJoin from "bpmnlint/rules/fake-join.js";
import labelRequired from "bpmnlint/rules/label-required.js";
import noComplexGateway from "bpmnlint/rules/no-complex-gateway.js";
import noDisconnected from "bpmnlint/rules/no-disconnected.js";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows.js";
import noImplicitEnd from "bpmnlint/rules/no-implicit-end.js";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split.js";
import noImplicitStart from "bpmnlint/rules/no-implicit-start.js";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event.js";
import singleEventDefinition from "bpmnlint/rules/single-event-definition.js";
import startEventRequired from "bpmnlint/rules/start-event-required.js";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway.js";
import {
  operationIdClash,
  taskOutsideLane,
  unknownOperation,
  unmappedLane,
  unquotedTimer,
} from "./lint-rules.js";

const BUILT_IN = {
  "conditional-flows": [conditionalFlows, "error"],
  "end-event-required": [endEventRequired, "error"],
  "event-based-gateway": [eventBasedGateway, "error"],
  "fake-join": [fakeJoin, "warn"],
  "label-required": [labelRequired, "warn"],
  "no-complex-gateway": [noComplexGateway, "error"],
  "no-disconnected": [noDisconnected, "error"],
  "no-duplicate-sequence-flows": [noDuplicateSequenceFlows, "error"],
  "no-implicit-end": [noImplicitEnd, "error"],
  "no-implicit-split": [noImplicitSplit, "error"],
  "no-implicit-start": [noImplicitStart, "error"],
  "single-blank-start-event": [singleBlankStartEvent, "error"],
  "single-event-definition": [singleEventDefinition, "error"],
  "start-event-required": [startEventRequired, "error"],
  "superfluous-gateway": [superfluousGateway, "warn"],
};
const OWN = {
  "unknown-operation": unknownOperation,
  "operation-id-clash": operationIdClash,
  "unmapped-lane": unmappedLane,
  "task-outside-lane": taskOutsideLane,
  "unquoted-timer": unquotedTimer,
};

const rules = {};
const cache = {};
for (const [name, [factory, level]] of Object.entries(BUILT_IN)) {
  rules[name] = level;
  cache[`rule:bpmnlint/${name}`] = factory;
}
for (const [name, factory] of Object.entries(OWN)) {
  rules[`remtrack/${name}`] = "error";
  cache[`rule:bpmnlint-plugin-remtrack/${name}`] = factory;
}

export default { config: { rules }, resolver: new StaticResolver(cache) };
