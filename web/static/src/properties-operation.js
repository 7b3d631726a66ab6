// The service operation group of the properties panel: an operation from the catalogue
// and one entry per declared parameter, written as spiffworkflow:serviceTaskOperator.
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { extension, format } from "./lint-rules.js";
import { replaceExtension, useServices } from "./properties-extensions.js";

let page = { operations: [] };

export function configureOperations(data) {
  page = data;
}

const t = (key, params) => format(key, params);

function operatorOf(element) {
  return extension(element.businessObject, "spiffworkflow:ServiceTaskOperator");
}

function parameterValues(operator) {
  const values = {};
  ((operator && operator.parameterList && operator.parameterList.parameters) || []).forEach((p) => {
    values[p.id] = p.value;
  });
  return values;
}

function defaultValue(param) {
  if (param.type === "int") return String(param.min ?? 0);
  if (param.choices.length) return `'${param.choices[0].value}'`;
  return "''";
}

function writeOperation(services, element, name, values) {
  const { bpmnFactory } = services;
  const operation = page.operations.find((op) => op.name === name);
  let operator = null;
  if (name) {
    const parameters = ((operation && operation.params) || []).map((param) =>
      bpmnFactory.create("spiffworkflow:Parameter", {
        id: param.name,
        type: param.type === "int" ? "int" : "str",
        value: values[param.name] ?? defaultValue(param),
      }),
    );
    const parameterList = bpmnFactory.create("spiffworkflow:Parameters", { parameters });
    parameters.forEach((p) => { p.$parent = parameterList; });
    operator = bpmnFactory.create("spiffworkflow:ServiceTaskOperator", { id: name, resultVariable: "", parameterList });
    parameterList.$parent = operator;
  }
  replaceExtension(services, element, element.businessObject, "spiffworkflow:ServiceTaskOperator", operator);
}

function OperationEntry(props) {
  const { element, id } = props;
  const services = useServices();
  return SelectEntry({
    element,
    id,
    label: t("operation"),
    description: t("operationHelp"),
    getValue: () => (operatorOf(element) || {}).id || "",
    setValue: (name) => writeOperation(services, element, name, parameterValues(operatorOf(element))),
    getOptions: () => {
      const current = (operatorOf(element) || {}).id;
      const options = [{ value: "", label: t("chooseOperation") }];
      page.operations.forEach((op) => options.push({ value: op.name, label: `${op.title} (${op.name})` }));
      if (current && !page.operations.some((op) => op.name === current)) options.push({ value: current, label: current });
      return options;
    },
  });
}

function ParameterEntry(props) {
  const { element, id, param } = props;
  const services = useServices();
  const getValue = () => parameterValues(operatorOf(element))[param.name] ?? "";
  const setValue = (value) => {
    const operator = operatorOf(element);
    writeOperation(services, element, operator.id, { ...parameterValues(operator), [param.name]: value });
  };
  if (param.choices.length) {
    return SelectEntry({
      element, id, label: param.name, getValue, setValue,
      getOptions: () => {
        const options = param.choices.map((c) => ({ value: `'${c.value}'`, label: `${c.label} (${c.value})` }));
        const current = getValue();
        if (current && !options.some((o) => o.value === current)) options.push({ value: current, label: current });
        return options;
      },
    });
  }
  return TextFieldEntry({
    element, id, label: param.name, getValue, setValue, debounce: services.debounce,
    description: t("expressionHelp"),
    validate: (value) => (String(value || "").trim() ? null : t("lintBadChoice", { parameter: param.name, choices: "…" })),
  });
}

// One component per (operation, parameter), kept across renders: a new function each time
// would remount the field and lose the caret while the designer types.
const parameterComponents = new Map();

function parameterComponent(operationName, param) {
  const key = `${operationName}:${param.name}`;
  if (!parameterComponents.has(key)) {
    parameterComponents.set(key, (props) => ParameterEntry({ ...props, param }));
  }
  return parameterComponents.get(key);
}

export function operationGroup(element) {
  const operator = operatorOf(element);
  const operation = operator && page.operations.find((op) => op.name === operator.id);
  const entries = [{ id: "remtrack-operation", component: OperationEntry, isEdited: isSelectEntryEdited }];
  ((operation && operation.params) || []).forEach((param) => {
    entries.push({
      id: `remtrack-param-${param.name}`,
      component: parameterComponent(operation.name, param),
      isEdited: isTextFieldEntryEdited,
    });
  });
  return { id: "remtrack-operation", label: t("operation"), entries, shouldOpen: true };
}
