// Shows a stored BPMN diagram read-only, with the current steps highlighted.
// Any <div class="diagram" data-xml-url="..." data-current="id1 id2"> on a page is filled in.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

async function show(container) {
  const viewer = new NavigatedViewer({ container });
  const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const { warnings } = await viewer.importXML(await response.text());
  viewer.get("canvas").zoom("fit-viewport");
  const canvas = viewer.get("canvas");
  const current = (container.dataset.current || "").split(/\s+/).filter(Boolean);
  for (const id of current) {
    if (viewer.get("elementRegistry").get(id)) canvas.addMarker(id, "current");
  }
  const registry = viewer.get("elementRegistry");
  container.dataset.elements = String(registry.getAll().length);
  container.dataset.warnings = String(warnings.length);
  container.dataset.ready = "true";
  return viewer;
}

function showAll() {
  document.querySelectorAll(".diagram[data-xml-url]").forEach((container) => {
    show(container).catch((error) => {
      container.dataset.ready = "error";
      const note = document.createElement("p");
      note.className = "diagram-problems";
      note.textContent = container.dataset.errorText || String(error);
      container.replaceChildren(note);
    });
  });
}

document.addEventListener("DOMContentLoaded", showAll);
