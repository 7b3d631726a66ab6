// Writing the spiffworkflow: extension elements of a BPMN element through the command
// stack, so each change can be undone; shared by the remtrack properties panel entries.
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";
import { extension } from "./lint-rules.js";

function extensionCommands(element, bo, bpmnFactory) {
  let holder = bo.get("extensionElements");
  const commands = [];
  if (!holder) {
    holder = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    holder.$parent = bo;
    commands.push({
      cmd: "element.updateModdleProperties",
      context: { element, moddleElement: bo, properties: { extensionElements: holder } },
    });
  }
  return { holder, commands };
}

export function replaceExtension(services, element, bo, type, created) {
  const { bpmnFactory, commandStack } = services;
  const { holder, commands } = extensionCommands(element, bo, bpmnFactory);
  const values = holder.get("values").filter((v) => !is(v, type));
  if (created) {
    created.$parent = holder;
    values.push(created);
  }
  commands.push({
    cmd: "element.updateModdleProperties",
    context: { element, moddleElement: holder, properties: { values } },
  });
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

export function setProperty(services, element, name, value) {
  const { bpmnFactory } = services;
  const bo = element.businessObject;
  const current = extension(bo, "spiffworkflow:Properties");
  const kept = ((current && current.properties) || []).filter((p) => p.name !== name);
  const properties = kept.map((p) => bpmnFactory.create("spiffworkflow:Property", { name: p.name, value: p.value }));
  if (value) properties.push(bpmnFactory.create("spiffworkflow:Property", { name, value }));
  const holder = properties.length ? bpmnFactory.create("spiffworkflow:Properties", { properties }) : null;
  properties.forEach((p) => { p.$parent = holder; });
  replaceExtension(services, element, bo, "spiffworkflow:Properties", holder);
}

export function useServices() {
  return {
    bpmnFactory: useService("bpmnFactory"),
    commandStack: useService("commandStack"),
    modeling: useService("modeling"),
    debounce: useService("debounceInput"),
  };
}
