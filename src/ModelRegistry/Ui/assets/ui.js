// Small DOM helpers the pages share: element building, formatting, problems next to forms, the reason dialog.
import { ApiProblem } from "/ui/api.js";

/** h("a", { href, class: "x", onclick }, "text", child…): an element; attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function when(timestamp) {
  return timestamp ? new Date(timestamp).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "–";
}

export function badge(kind, value) {
  return h("span", { class: `badge ${kind}-${value}` }, value ?? "–");
}

export function shortSha(sha) { return sha ? sha.slice(0, 12) : "–"; }

/** Shows a refusal's title, detail and field errors in `where` (cleared on success); other errors are rethrown. */
export function showProblem(where, error) {
  where.replaceChildren();
  if (!error) { where.hidden = true; return; }
  const problem = error instanceof ApiProblem ? error : null;
  const stale = problem && problem.status === 412;
  where.hidden = false;
  where.setAttribute("role", "alert");
  where.append(
    h("strong", {}, stale ? "Changed meanwhile" : problem ? problem.title : "The registry could not be reached"),
    h("p", {}, stale ? "Someone changed this model since the page was loaded; reload it and try again." : problem ? problem.detail : String(error.message || error)));
  const fields = problem ? Object.entries(problem.errors) : [];
  if (fields.length) where.append(h("ul", {}, fields.map(([field, messages]) => h("li", {}, h("code", {}, field), ": ", [].concat(messages).join(" ")))));
}

/** Asks for confirmation and a reason; answers the reason, or null when cancelled. */
export function confirmWithReason(title, text) {
  const dialog = document.getElementById("confirm");
  const form = document.getElementById("confirm-form");
  const reason = document.getElementById("confirm-reason");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text || "";
  reason.value = "";
  return new Promise(resolve => {
    const done = value => {
      form.removeEventListener("submit", submit);
      cancel.removeEventListener("click", close);
      dialog.removeEventListener("cancel", close);
      dialog.close();
      resolve(value);
    };
    const submit = e => { e.preventDefault(); if (reason.value.trim()) done(reason.value.trim()); };
    const close = e => { e?.preventDefault(); done(null); };
    const cancel = document.getElementById("confirm-cancel");
    form.addEventListener("submit", submit);
    cancel.addEventListener("click", close);
    dialog.addEventListener("cancel", close);
    dialog.showModal();
    reason.focus();
  });
}
