// The shell: sign-in, the connection banner, and a hash router that renders one page module into <main>.
// A page module exports `render(main, params, context)` and may return a function that stops what it started
// (live streams, timers) when the user leaves the page.
import { api, session, onConnection } from "/ui/api.js";
import { h, showProblem } from "/ui/ui.js";

const routes = [
  [/^#\/models\/(.+)$/, "model"],
  [/^#\/downloads$/, "downloads"],
  [/^#\/storage$/, "storage"],
  [/^#\/endpoints$/, "endpoints"],
  [/^#\/keys$/, "keys"],
  [/^#\/admin$/, "admin"],
  [/^#?\/?(models)?$/, "catalog"],
];

/** Who the key is: { name, role } with role anonymous, reader, publisher or admin. */
export const context = {
  name: null,
  role: "anonymous",
  may(role) {
    const order = ["anonymous", "reader", "publisher", "admin"];
    return order.indexOf(this.role) >= order.indexOf(role);
  },
};

let stop = null;
// Each render owns a fresh view; one that is overtaken by a newer render keeps writing into its own detached view.
let generation = 0;

async function whoAmI() {
  try {
    const { data } = await api("/api/v1/me");
    context.name = data.name;
    context.role = data.role;
  } catch {
    context.name = null;
    context.role = "anonymous";
  }
  document.getElementById("sign-in").hidden = !!session.key;
  document.getElementById("signed-in").hidden = !session.key;
  document.getElementById("who").textContent = session.key ? `${context.name ?? "unknown key"} (${context.role})` : "";
  document.querySelectorAll("[data-role]").forEach(el => { el.closest("li").hidden = !context.may(el.dataset.role); });
}

async function render() {
  if (typeof stop === "function") stop();
  stop = null;
  const main = document.getElementById("main");
  const hash = location.hash || "#/models";
  const [path, query = ""] = hash.split("?");
  const [pattern, page] = routes.find(([p]) => p.test(path)) ?? [null, "catalog"];
  const match = pattern ? path.match(pattern) : [];
  const params = { match: match.slice(1).map(m => m && decodeURIComponent(m)), query: new URLSearchParams(query) };
  document.querySelectorAll("[data-nav]").forEach(a =>
    a.toggleAttribute("aria-current", a.dataset.nav === (page === "model" || page === "catalog" ? "models" : page)));
  const current = ++generation;
  const view = h("div", { class: "view" });
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    const module = await import(`/ui/pages/${page}.js`);
    if (current !== generation) return;
    main.replaceChildren(view);
    const stopper = await module.render(view, params, context);
    if (current === generation) stop = stopper;
    else if (typeof stopper === "function") stopper();
  } catch (error) {
    if (current !== generation) return;
    const box = h("div", { class: "problem" });
    main.replaceChildren(box);
    showProblem(box, error);
  }
}

function banner(ok) {
  const el = document.getElementById("banner");
  el.hidden = ok;
  el.textContent = ok ? "" : "The registry cannot be reached; retrying…";
}

document.addEventListener("DOMContentLoaded", async () => {
  onConnection(banner);
  document.getElementById("sign-in").addEventListener("submit", async e => {
    e.preventDefault();
    const input = document.getElementById("api-key");
    session.key = input.value.trim();
    input.value = "";
    await whoAmI();
    await render();
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    session.key = null;
    await whoAmI();
    await render();
  });
  window.addEventListener("hashchange", render);
  await whoAmI();
  await render();
});
