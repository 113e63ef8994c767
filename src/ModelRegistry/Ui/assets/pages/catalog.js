// The catalog: search and filters kept in the hash (so Back and links work), one page of models at a time.
import { api } from "/ui/api.js";
import { h, bytes, showProblem } from "/ui/ui.js";

const STAGES = ["", "staging", "production", "archived"];
const STATUSES = ["", "pending", "downloading", "ready", "failed", "missing", "corrupted"];
const FILTERS = ["q", "tag", "stage", "status"];

export function modelHash(name) { return `#/models/${name.split("/").map(encodeURIComponent).join("/")}`; }

function field(label, control) { return h("label", {}, label, control); }

function select(name, options, value) {
  return h("select", { name }, options.map(o => h("option", { value: o, selected: o === value }, o || "any")));
}

export async function render(main, params) {
  const query = params.query;
  const form = h("form", { class: "filters", role: "search" },
    field("Search", h("input", { name: "q", type: "search", value: query.get("q") ?? "" })),
    field("Tag", h("input", { name: "tag", placeholder: "key:value", value: query.get("tag") ?? "" })),
    field("Stage", select("stage", STAGES, query.get("stage") ?? "")),
    field("Status", select("status", STATUSES, query.get("status") ?? "")),
    h("button", { type: "submit", class: "primary" }, "Apply"));
  form.addEventListener("submit", e => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) { const value = form.elements[name].value.trim(); if (value) next.set(name, value); }
    location.hash = `#/models${next.size ? `?${next}` : ""}`;
  });
  const problem = h("div", { class: "problem", hidden: true });
  main.append(h("h1", {}, "Catalog"), form, problem);

  const request = new URLSearchParams({ limit: "50" });
  for (const name of [...FILTERS, "cursor"]) if (query.get(name)) request.set(name, query.get(name));
  let page;
  try {
    page = (await api(`/api/v1/models?${request}`)).data;
  } catch (error) {
    showProblem(problem, error);
    return;
  }
  // The list has no sizes; the storage summary has bytes on disk per model in one call.
  const sizes = new Map();
  try {
    for (const m of (await api("/api/v1/storage")).data.models ?? []) sizes.set(m.name.toLowerCase(), m.bytes);
  } catch { /* sizes are a nicety; the list stands without them */ }

  if (!page.items.length) {
    main.append(h("p", { class: "muted" }, query.get("cursor") ? "No more models." : "No models match."));
  } else {
    main.append(h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Model", "Production", "Latest", "Status", "Size"].map(c => h("th", { scope: "col" }, c)))),
      h("tbody", {}, page.items.map(m => h("tr", {},
        h("td", {}, h("a", { href: modelHash(m.name) }, m.name), m.description ? h("div", { class: "muted" }, m.description) : null),
        h("td", {}, m.production_version ? `v${m.production_version}` : "none"),
        h("td", {}, m.latest_version ? `v${m.latest_version}` : "–"),
        h("td", {}, m.locked ? h("span", { class: "badge locked" }, "locked") : "open"),
        h("td", {}, bytes(sizes.get(m.name.toLowerCase())))))))));
  }
  const pager = h("div", { class: "toolbar" });
  if (query.get("cursor")) {
    const first = new URLSearchParams(query); first.delete("cursor");
    pager.append(h("button", { type: "button", onclick: () => { location.hash = `#/models${first.size ? `?${first}` : ""}`; } }, "First page"));
  }
  if (page.next_cursor) {
    const next = new URLSearchParams(query); next.set("cursor", page.next_cursor);
    pager.append(h("button", { type: "button", onclick: () => { location.hash = `#/models?${next}`; } }, "Next page"));
  }
  if (pager.childElementCount) main.append(pager);
}
