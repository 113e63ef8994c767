// Endpoints: the serving endpoints (Ollama, OpenAI-compatible servers) the key owns, an admin's everyone's, with their
// health; publishers add one, check one now and remove one. An endpoint's API key goes to the registry once and is
// shown back only as a mask.
import { api } from "/ui/api.js";
import { h, when, badge, showProblem, confirmWithReason } from "/ui/ui.js";
import { table } from "/ui/table.js";

const TYPES = ["ollama", "openai-compatible", "custom"];

function endpointPath(endpoint, suffix = "") { return `/api/v1/endpoints/${encodeURIComponent(endpoint.id)}${suffix}`; }

function addForm(onAdded) {
  const name = h("input", { id: "endpoint-name", name: "name", required: true, autocomplete: "off", maxlength: 100, placeholder: "gpu-box" });
  const url = h("input", { id: "endpoint-url", name: "base_url", type: "url", required: true, autocomplete: "off", placeholder: "http://127.0.0.1:11434" });
  const type = h("select", { id: "endpoint-type", name: "endpoint_type" }, TYPES.map(t => h("option", { value: t, selected: t === "ollama" }, t)));
  const key = h("input", { id: "endpoint-key", name: "api_key", type: "password", autocomplete: "off", placeholder: "optional" });
  const box = h("div", { class: "problem", hidden: true });
  const form = h("form", { class: "toolbar", "aria-labelledby": "add-heading" },
    h("label", { class: "field", for: "endpoint-name" }, "Name", name),
    h("label", { class: "field grow", for: "endpoint-url" }, "Base URL", url),
    h("label", { class: "field", for: "endpoint-type" }, "Type", type),
    h("label", { class: "field", for: "endpoint-key" }, "Endpoint API key", key),
    h("button", { type: "submit", class: "primary" }, "Add"));
  form.addEventListener("submit", async e => {
    e.preventDefault();
    showProblem(box, null);
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const body = { name: name.value.trim(), base_url: url.value.trim(), endpoint_type: type.value };
      if (key.value) body.api_key = key.value;
      const { data } = await api("/api/v1/endpoints", { method: "POST", body });
      form.reset();
      await onAdded(data);
    } catch (error) {
      showProblem(box, error);
    } finally {
      button.disabled = false;
    }
  });
  return h("section", {}, h("h2", { id: "add-heading" }, "Add an endpoint"), form, box);
}

export async function render(main, params, context) {
  const problem = h("div", { class: "problem", hidden: true });
  const status = h("p", { role: "status", class: "muted" });
  main.append(h("h1", {}, "Endpoints"), problem);
  if (!context.may("reader")) {
    main.append(h("p", { class: "muted" }, "Endpoints belong to a key; sign in with one."));
    return;
  }

  const list = h("div");
  if (context.may("publisher")) {
    main.append(addForm(async endpoint => {
      status.textContent = `Endpoint ${endpoint.name} added.`;
      await load();
    }));
  }
  main.append(h("h2", {}, context.may("admin") ? "All endpoints" : "Your endpoints"), status, list);

  const check = async endpoint => {
    showProblem(problem, null);
    status.textContent = `Checking ${endpoint.name}…`;
    try {
      const { data } = await api(endpointPath(endpoint, "/health"), { method: "POST" });
      status.textContent = `${endpoint.name} is ${data.status}` + (data.response_time_ms === null ? "" : ` (${data.response_time_ms} ms)`)
        + (data.error_message ? `: ${data.error_message}` : ".");
      await load();
    } catch (error) {
      status.textContent = "";
      showProblem(problem, error);
    }
  };

  const remove = async endpoint => {
    // The API records who removed an endpoint, not why; the reason asked here is the confirmation.
    if (await confirmWithReason(`Remove ${endpoint.name}`, `${endpoint.base_url} is no longer checked and its API key is erased. This cannot be undone.`) === null) return;
    showProblem(problem, null);
    try {
      await api(endpointPath(endpoint), { method: "DELETE" });
      status.textContent = `Endpoint ${endpoint.name} removed.`;
      await load();
    } catch (error) {
      showProblem(problem, error);
    }
  };

  async function load() {
    let data;
    try {
      ({ data } = await api("/api/v1/endpoints"));
    } catch (error) {
      showProblem(problem, error);
      return;
    }
    if (!data.length) { list.replaceChildren(h("p", { class: "muted" }, "No endpoints yet.")); return; }
    const publisher = context.may("publisher");
    list.replaceChildren(table("Endpoints", ["Name", "Base URL", "Type", "Active", "Health", "Last check", "Models", ""], data.map(endpoint => h("tr", {},
      h("td", {}, endpoint.name, context.may("admin") ? h("div", { class: "muted" }, `owner ${endpoint.owner}`) : null),
      h("td", { class: "mono" }, endpoint.base_url),
      h("td", {}, endpoint.endpoint_type),
      h("td", {}, endpoint.is_active ? "yes" : "no"),
      h("td", {}, badge("health", endpoint.health_status),
        endpoint.health_error ? h("div", { class: "muted" }, endpoint.health_error) : null),
      h("td", { class: "nowrap" }, when(endpoint.last_health_check),
        endpoint.response_time_ms === null ? null : h("div", { class: "muted" }, `${endpoint.response_time_ms} ms`)),
      h("td", {}, String(endpoint.available_models.length)),
      h("td", { class: "nowrap" }, publisher ? [
        h("button", { type: "button", "aria-label": `Check ${endpoint.name} now`, onclick: () => check(endpoint) }, "Check now"),
        " ",
        h("button", { type: "button", "aria-label": `Remove ${endpoint.name}`, onclick: () => remove(endpoint) }, "Remove"),
      ] : null)))));
  }

  await load();
}
