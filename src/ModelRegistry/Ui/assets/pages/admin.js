// Admin: each projection's version, checkpoint, head, lag and state; admins rebuild one from the first event while
// reads keep answering. The table refreshes by itself while a rebuild is under way.
import { api } from "/ui/api.js";
import { h, badge, showProblem } from "/ui/ui.js";
import { table } from "/ui/table.js";

const SETTLED = new Set(["running", "faulted"]);
const REFRESH_MS = 2000;

export async function render(main, params, context) {
  const problem = h("div", { class: "problem", hidden: true });
  const status = h("p", { role: "status", class: "muted" });
  const list = h("div");
  let timer = null;
  main.append(h("h1", {}, "Admin"), problem,
    h("div", { class: "toolbar" }, h("h2", {}, "Projections"), h("button", { type: "button", onclick: () => load() }, "Refresh")),
    status, list);

  const rebuild = async name => {
    showProblem(problem, null);
    try {
      await api(`/api/v1/admin/projections/${encodeURIComponent(name)}/rebuild`, { method: "POST" });
      status.textContent = `Rebuild of ${name} requested.`;
      await load();
    } catch (error) {
      showProblem(problem, error);
    }
  };

  async function load() {
    clearTimeout(timer);
    let projections;
    try {
      ({ data: projections } = await api("/api/v1/admin/projections"));
    } catch (error) {
      showProblem(problem, error);
      return;
    }
    list.replaceChildren(table("Projections", ["Name", "Version", "Checkpoint", "Head", "Lag", "State", "Last error", ""], projections.map(p => h("tr", {},
      h("td", {}, p.name, h("div", { class: "muted" }, p.lifecycle)),
      h("td", {}, p.version, p.stored_version !== p.version ? h("div", { class: "muted" }, `stored ${p.stored_version}`) : null),
      h("td", {}, p.checkpoint, p.rebuild_position !== null && p.rebuild_position !== undefined ? h("div", { class: "muted" }, `rebuilt to ${p.rebuild_position}`) : null),
      h("td", {}, p.head),
      h("td", {}, p.lag),
      h("td", {}, badge("projection", p.state)),
      h("td", {}, p.last_error ? h("code", {}, p.last_error) : "–"),
      h("td", {}, context.may("admin")
        ? h("button", { type: "button", "aria-label": `Rebuild ${p.name}`, onclick: () => rebuild(p.name) }, "Rebuild")
        : null)))));
    if (projections.some(p => !SETTLED.has(p.state))) timer = setTimeout(load, REFRESH_MS);
  }

  await load();
  return () => clearTimeout(timer);
}
