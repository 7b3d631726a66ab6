// The properties panel extended for remtrack: a service task picks an operation from the
// catalogue and fills its declared parameters; a lane maps to a role; a timer gets an
// expression with help; a flow out of a gateway gets a condition; a user task names its
// due-date variable. Everything is written as the spiffworkflow: extension elements the
// engine's parser reads (see workflows/engine/parser.py and bpmn/*.bpmn).
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";
import { format, isUnquotedTimer, laneRole, property } from "./lint-rules.js";
import { setProperty, useServices } from "./properties-extensions.js";
import { configureOperations, operationGroup } from "./properties-operation.js";

const TIMER_KINDS = ["timeDate", "timeDuration", "timeCycle"];
let page = { operations: [], roles: [], messages: {} };

export function configureProperties(data) {
  page = data;
  configureOperations(data);
}

const t = (key, params) => format(key, params);

// -- lane role, user task due date ----------------------------------------------------

function RoleEntry(props) {
  const { element, id } = props;
  const services = useServices();
  const declared = property(element.businessObject, "role");
  const fromName = declared === undefined ? laneRole(element.businessObject) : null;
  return SelectEntry({
    element, id, label: t("role"),
    description: fromName ? t("roleFromName", { role: fromName }) : t("roleHelp"),
    getValue: () => property(element.businessObject, "role") || "",
    setValue: (value) => setProperty(services, element, "role", value),
    getOptions: () => [{ value: "", label: t("noRole") }, ...page.roles.map((r) => ({ value: r.value, label: r.label }))],
  });
}

function DueEntry(props) {
  const { element, id } = props;
  const services = useServices();
  return TextFieldEntry({
    element, id, label: t("due"), description: t("dueHelp"), debounce: services.debounce,
    getValue: () => property(element.businessObject, "due") || "",
    setValue: (value) => setProperty(services, element, "due", (value || "").trim()),
  });
}

// -- timer ----------------------------------------------------------------------------

function timerOf(element) {
  return (element.businessObject.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
}

function timerKind(timer) {
  return TIMER_KINDS.find((kind) => timer.get(kind)) || "timeDate";
}

function TimerKindEntry(props) {
  const { element, id } = props;
  const { commandStack } = useServices();
  const timer = timerOf(element);
  return SelectEntry({
    element, id, label: t("timerType"),
    getValue: () => timerKind(timer),
    setValue: (kind) => {
      const expression = timer.get(timerKind(timer));
      const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined, [kind]: expression };
      commandStack.execute("element.updateModdleProperties", { element, moddleElement: timer, properties });
    },
    getOptions: () => TIMER_KINDS.map((kind) => ({ value: kind, label: t(kind) })),
  });
}

function TimerExpressionEntry(props) {
  const { element, id } = props;
  const { bpmnFactory, commandStack, debounce } = useServices();
  const timer = timerOf(element);
  return TextFieldEntry({
    element, id, label: t("timerExpression"), description: t("timerHelp"), debounce,
    getValue: () => ((timer.get(timerKind(timer)) || {}).body || ""),
    setValue: (value) => {
      const kind = timerKind(timer);
      const current = timer.get(kind);
      if (current) {
        commandStack.execute("element.updateModdleProperties", { element, moddleElement: current, properties: { body: value } });
        return;
      }
      const created = bpmnFactory.create("bpmn:FormalExpression", { body: value });
      created.$parent = timer;
      commandStack.execute("element.updateModdleProperties", { element, moddleElement: timer, properties: { [kind]: created } });
    },
    validate: (value) => (isUnquotedTimer(value) ? t("timerUnquoted", { value: String(value).trim() }) : null),
  });
}

// -- condition ------------------------------------------------------------------------

function ConditionEntry(props) {
  const { element, id } = props;
  const { bpmnFactory, modeling, debounce } = useServices();
  return TextFieldEntry({
    element, id, label: t("condition"), description: t("conditionHelp"), debounce,
    getValue: () => ((element.businessObject.conditionExpression || {}).body || ""),
    setValue: (value) => {
      const text = (value || "").trim();
      const expression = text ? bpmnFactory.create("bpmn:FormalExpression", { body: text }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    },
  });
}

function hasCondition(element) {
  const source = element.source && element.source.businessObject;
  return is(element, "bpmn:SequenceFlow") && source &&
    (is(source, "bpmn:ExclusiveGateway") || is(source, "bpmn:InclusiveGateway"));
}

// -- provider -------------------------------------------------------------------------

function group(id, label, entries) {
  return { id, label, entries, shouldOpen: true };
}

function remtrackGroups(element) {
  const found = [];
  if (is(element, "bpmn:ServiceTask")) found.push(operationGroup(element));
  if (is(element, "bpmn:Lane")) {
    found.push(group("remtrack-lane", t("role"), [{ id: "remtrack-role", component: RoleEntry, isEdited: isSelectEntryEdited }]));
  }
  if (is(element, "bpmn:UserTask")) {
    found.push(group("remtrack-due", t("due"), [{ id: "remtrack-due", component: DueEntry, isEdited: isTextFieldEntryEdited }]));
  }
  if (is(element, "bpmn:Event") && timerOf(element)) {
    found.push(group("remtrack-timer", t("timer"), [
      { id: "remtrack-timer-kind", component: TimerKindEntry, isEdited: isSelectEntryEdited },
      { id: "remtrack-timer-expression", component: TimerExpressionEntry, isEdited: isTextFieldEntryEdited },
    ]));
  }
  if (hasCondition(element)) {
    found.push(group("remtrack-condition", t("condition"), [
      { id: "remtrack-condition", component: ConditionEntry, isEdited: isTextFieldEntryEdited },
    ]));
  }
  return found;
}

export default function RemtrackPropertiesProvider(propertiesPanel) {
  propertiesPanel.registerProvider(500, this);
}

RemtrackPropertiesProvider.prototype.getGroups = function (element) {
  return (groups) => {
    // bpmn-js's own timer group explains Camunda's expressions; ours explains the engine's
    const kept = groups.filter((g) => g.id !== "timer");
    const general = kept.findIndex((g) => g.id === "general");
    kept.splice(general + 1, 0, ...remtrackGroups(element));
    return kept;
  };
};

RemtrackPropertiesProvider.$inject = ["propertiesPanel"];
