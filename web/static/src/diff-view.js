// The version-diff page: each <div class="diagram-diff" data-xml-url data-markers> shows a
// version read-only, its elements coloured by what happened to them (added, changed, removed).
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

async function showDiff(container) {
  const viewer = new NavigatedViewer({ container });
  const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  await viewer.importXML(await response.text());
  viewer.get("canvas").zoom("fit-viewport");
  const markers = JSON.parse(container.dataset.markers || "{}");
  const registry = viewer.get("elementRegistry");
  let shown = 0;
  for (const [id, kind] of Object.entries(markers)) {
    if (registry.get(id)) {
      viewer.get("canvas").addMarker(id, `diff-${kind}`);
      shown += 1;
    }
  }
  container.dataset.marked = String(shown);
  container.dataset.ready = "true";
}

export function showDiffs() {
  document.querySelectorAll(".diagram-diff[data-xml-url]").forEach((container) => {
    showDiff(container).catch((error) => {
      container.dataset.ready = "error";
      container.textContent = String(error);
    });
  });
}
