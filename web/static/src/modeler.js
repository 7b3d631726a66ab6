// The process designer: bpmn-js with the remtrack properties panel and lint rules, and the
// page's actions (save draft, validate, deploy, download, open a file). Every refusal from
// the server is shown on the diagram: a marker and a badge on the element it names, and a
// banner on the canvas for problems of the whole file. Also fills the version-diff pages.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import { api } from "./designer-api.js";
import { showDiffs } from "./diff-view.js";
import lintConfig from "./lint-config.js";
import { configureRules, format } from "./lint-rules.js";
import { ProblemsView } from "./problems-view.js";
import RemtrackPropertiesProvider, { configureProperties } from "./properties.js";
import spiffworkflow from "./spiffworkflow-moddle.json";

const remtrackProperties = {
  __init__: ["remtrackPropertiesProvider"],
  remtrackPropertiesProvider: ["type", RemtrackPropertiesProvider],
};

function createModeler(container) {
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: "#properties" },
    linting: { bpmnlint: lintConfig, active: true },
    moddleExtensions: { spiffworkflow },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, remtrackProperties, lintModule],
  });
}

class Designer {
  constructor(container) {
    this.container = container;
    this.state = {
      lockVersion: Number(container.dataset.lockVersion || 0),
      baseVersion: container.dataset.baseVersion ? Number(container.dataset.baseVersion) : null,
      dirty: false,
    };
    this.modeler = createModeler(container);
    this.status = document.getElementById("designer-status");
    this.view = new ProblemsView(this.modeler, container);
    window.remtrackModeler = this.modeler; // for people debugging in the console, and tests
  }

  async open() {
    const response = await fetch(this.container.dataset.modelUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await this.load(await response.text());
    this.modeler.get("eventBus").on("commandStack.changed", () => this.markDirty());
    this.modeler.get("eventBus").on("linting.completed", ({ issues }) => this.countLint(issues));
  }

  // Fit the whole diagram, but to the right of the palette, which would hide its left part.
  fitBesidePalette() {
    const canvas = this.modeler.get("canvas");
    const { inner, outer } = canvas.viewbox();
    const left = 140, margin = 20;
    const scale = Math.min((outer.width - left - margin) / inner.width, (outer.height - 2 * margin) / inner.height, 1);
    canvas.viewbox({
      x: inner.x - left / scale,
      y: inner.y - margin / scale,
      width: outer.width / scale,
      height: outer.height / scale,
    });
  }

  async load(xml) {
    const { warnings } = await this.modeler.importXML(xml);
    this.fitBesidePalette();
    this.container.dataset.warnings = String(warnings.length);
    this.container.dataset.ready = "true";
  }

  countLint(issues) {
    const all = Object.values(issues).flat();
    const errors = all.filter((issue) => issue.category === "error").length;
    this.container.dataset.lintErrors = String(errors);
    this.container.dataset.lintIssues = String(all.length);
  }

  markDirty() {
    this.state.dirty = true;
    this.say(format("unsaved"));
  }

  say(text, kind = "info", link = null) {
    this.status.className = `designer-status designer-status-${kind}`;
    this.status.textContent = text;
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      anchor.className = "button";
      anchor.id = "migrate-link";
      this.status.append(" ", anchor);
    }
  }

  showError(text) {
    this.view.error(text);
    this.say(text, "error");
  }

  async xml() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  // One server round trip; refusals are shown on the diagram and return null.
  async send(url, payload, busyKey) {
    this.say(format(busyKey));
    const reply = await api(url, payload);
    if (reply.problems && reply.problems.length) {
      this.view.show(reply.problems);
      this.say(format("problemsFound", { count: reply.problems.length }), "error");
      return null;
    }
    if (!reply.ok) {
      this.showError(reply.error);
      return null;
    }
    this.view.clear();
    return reply;
  }

  body(xml) {
    return { xml, lock_version: this.state.lockVersion, base_version: this.state.baseVersion };
  }

  async save() {
    const reply = await this.send(this.container.dataset.saveUrl, this.body(await this.xml()), "saving");
    if (!reply) return;
    this.state.lockVersion = reply.lock_version;
    this.state.dirty = false;
    const discard = document.querySelector(".discard-form input[name=lock_version]");
    if (discard) discard.value = String(reply.lock_version);
    this.container.dataset.lockVersion = String(reply.lock_version);
    this.say(reply.message, "ok");
  }

  async validate() {
    const reply = await this.send(this.container.dataset.validateUrl, this.body(await this.xml()), "validating");
    if (reply) this.say(reply.message, "ok");
  }

  async deploy() {
    const reply = await this.send(this.container.dataset.deployUrl, this.body(await this.xml()), "deploying");
    if (!reply) return;
    this.state = { lockVersion: 0, baseVersion: reply.version, dirty: false };
    this.container.dataset.lockVersion = "0";
    this.container.dataset.deployedVersion = String(reply.version);
    const link = reply.created ? { href: reply.migrate_url, text: format("migrateNow") } : null;
    this.say(reply.message, "ok", link);
  }

  async download() {
    const blob = new Blob([await this.xml()], { type: "application/xml" });
    const anchor = document.createElement("a");
    anchor.href = URL.createObjectURL(blob);
    anchor.download = `${this.container.dataset.key}.bpmn`;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(anchor.href), 1000);
  }

  async openFile(file) {
    const form = new FormData();
    form.append("file", file);
    const reply = await this.send(this.container.dataset.uploadUrl, form, "checkingFile");
    if (!reply) return;
    await this.load(reply.xml);
    this.markDirty();
    this.say(format("fileOpened"), "ok");
  }
}

function wire(designer) {
  const on = (id, event, handler) => document.getElementById(id).addEventListener(event, (e) => {
    handler(e).catch((error) => designer.showError(format("requestFailed", { error: error.message })));
  });
  on("btn-save", "click", () => designer.save());
  on("btn-validate", "click", () => designer.validate());
  on("btn-deploy", "click", () => designer.deploy());
  on("btn-download", "click", () => designer.download());
  on("file-open", "change", async (event) => {
    const [file] = event.target.files;
    event.target.value = "";
    if (file) await designer.openFile(file);
  });
  window.addEventListener("beforeunload", (event) => {
    if (designer.state.dirty) {
      event.preventDefault();
      event.returnValue = format("leaveUnsaved");
    }
  });
}

async function start() {
  showDiffs();
  const container = document.getElementById("modeler");
  if (!container) return;
  const data = JSON.parse(document.getElementById("designer-data").textContent);
  configureRules(data);
  configureProperties(data);
  const designer = new Designer(container);
  wire(designer);
  try {
    await designer.open();
  } catch (error) {
    container.dataset.ready = "error";
    designer.showError(format("loadFailed", { error: error.message }));
  }
}

document.addEventListener("DOMContentLoaded", start);
