// The modeler's calls to the server: JSON (or a file) with the page's CSRF token; the
// answer is always an object with ok, and problems or error when the server refused.
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function api(url, payload) {
  const isForm = payload instanceof FormData;
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: isForm
      ? { "X-CSRFToken": csrfToken(), Accept: "application/json" }
      : { "X-CSRFToken": csrfToken(), Accept: "application/json", "Content-Type": "application/json" },
    body: isForm ? payload : JSON.stringify(payload),
  });
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("application/json")) {
    // A refusal rendered as a page (expired session, CSRF, too large): keep its title.
    const text = await response.text();
    const title = /<h1>([^<]*)<\/h1>/.exec(text);
    return { ok: false, error: title ? title[1].trim() : `HTTP ${response.status}` };
  }
  return response.json();
}
