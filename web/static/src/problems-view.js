// Server refusals shown on the diagram: a marker and a badge on each element a problem
// names, the list under the toolbar (click to go to the element), and a banner on the
// canvas for problems of the whole file.
export class ProblemsView {
  constructor(modeler, container) {
    this.modeler = modeler;
    this.container = container;
    this.problems = document.getElementById("designer-problems");
    this.banner = document.createElement("div");
    this.banner.className = "canvas-banner";
    this.banner.hidden = true;
    container.appendChild(this.banner);
    this.marked = [];
  }

  clear() {
    const canvas = this.modeler.get("canvas");
    this.marked.forEach((id) => canvas.removeMarker(id, "server-problem"));
    this.modeler.get("overlays").remove({ type: "server-problem" });
    this.marked = [];
    this.problems.hidden = true;
    this.problems.querySelector("ul").replaceChildren();
    this.banner.hidden = true;
    this.banner.replaceChildren();
  }

  show(problems) {
    this.clear();
    const registry = this.modeler.get("elementRegistry");
    const list = this.problems.querySelector("ul");
    for (const problem of problems) {
      const element = problem.element_id && registry.get(problem.element_id);
      const item = document.createElement("li");
      item.dataset.elementId = problem.element_id || "";
      item.dataset.code = problem.code;
      item.textContent = problem.message;
      list.appendChild(item);
      if (element) {
        this.mark(element, problem);
        item.addEventListener("click", () => this.focus(element));
      } else {
        const line = document.createElement("p");
        line.textContent = problem.message;
        this.banner.appendChild(line);
        this.banner.hidden = false;
      }
    }
    this.problems.hidden = problems.length === 0;
    this.container.dataset.problems = String(problems.length);
  }

  mark(element, problem) {
    if (!this.marked.includes(element.id)) {
      this.modeler.get("canvas").addMarker(element.id, "server-problem");
      this.marked.push(element.id);
    }
    const badge = document.createElement("div");
    badge.className = "server-problem-badge";
    badge.title = problem.message;
    badge.dataset.elementId = element.id;
    badge.textContent = "!";
    this.modeler.get("overlays").add(element.id, "server-problem", { position: { top: -10, right: 10 }, html: badge });
  }

  focus(element) {
    this.modeler.get("selection").select(element);
    this.modeler.get("canvas").scrollToElement(element);
  }

  error(text) {
    this.clear();
    const line = document.createElement("p");
    line.textContent = text;
    this.banner.appendChild(line);
    this.banner.hidden = false;
  }
}
