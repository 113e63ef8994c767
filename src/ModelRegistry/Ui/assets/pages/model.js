// One model: its production pointer, one page of versions with the actions each allows, the serving endpoints that
// serve it, registering a version, the production timeline, time travel (?as_of=) and the history. Follows the
// production watch while shown.
import { api, modelPath, stream } from "/ui/api.js";
import { h, bytes, when, badge, shortSha, showProblem, confirmWithReason } from "/ui/ui.js";
import { table } from "/ui/table.js";
import { modelHash } from "/ui/pages/catalog.js";

const PAGE = 50;
const FIELDS = { "source.type": "Source type", "source.uri": "URI", "source.file": "File", "source.revision": "Revision", sha256: "SHA-256" };

function section(title, ...children) {
  const id = `section-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function source(s) {
  if (!s) return "–";
  return [`${s.type}: ${s.uri}`, s.file ? ` file ${s.file}` : "", s.revision ? ` @${s.revision}` : ""].join("");
}

/** Production changes from promote/demote events: one item per correlation (a promotion demotes the previous one). */
function productionChanges(events) {
  const groups = [];
  for (const e of events) {
    const last = groups.at(-1);
    if (last && last.correlation === e.correlation_id) last.events.push(e);
    else groups.push({ correlation: e.correlation_id, events: [e] });
  }
  return groups.map(({ events: group }) => {
    const promoted = group.find(e => e.type === "VersionPromoted" && e.data?.stage === "production");
    const demoted = group.find(e => e.type === "VersionDemoted" && e.data?.from === "production");
    const e = promoted ?? demoted;
    if (!e) return null;
    return {
      version: promoted ? promoted.data.version : null,
      replaced: promoted ? promoted.data.previous_version ?? demoted?.data.version ?? null : demoted.data.version,
      rollback: !!promoted?.data.rollback,
      timestamp: e.timestamp, actor: e.actor, reason: e.reason, correlation: e.correlation_id,
    };
  }).filter(Boolean);
}

/** Replaces an element's children, passing over the null and false that conditional parts leave. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
}

/** Buttons back to the first page and on to the next; one page is shown at a time. */
function pager(cursor, nextCursor, go, firstLabel, nextLabel) {
  return h("div", { class: "toolbar" },
    cursor ? h("button", { type: "button", onclick: () => go(null) }, firstLabel) : null,
    nextCursor ? h("button", { type: "button", onclick: () => go(nextCursor) }, nextLabel) : null);
}

export async function render(main, params, context) {
  const name = params.match[0];
  const asOf = params.query.get("as_of");
  const live = !asOf;
  const canPublish = live && context.may("publisher");
  const canAdminister = live && context.may("admin");
  const base = modelPath(name);
  // Endpoints belong to a key and say what serves the model now, not as it was: shown to a signed-in key on the live page.
  const showServing = live && context.may("reader");
  const state = { model: null, production: null, serving: null, versionsCursor: null, historyCursor: null, timelineCursor: null };

  const problem = h("div", { class: "problem", hidden: true });
  const lockBadge = h("span");
  const pageActions = h("div", { class: "toolbar" });
  const about = h("div");
  const production = h("div");
  const versions = h("div");
  const servedBy = h("div");
  const timeline = h("div");
  const history = h("div");

  const report = error => { showProblem(problem, error); if (error) problem.scrollIntoView?.({ block: "nearest" }); };

  async function loadModel() {
    const q = new URLSearchParams({ versions_limit: String(PAGE) });
    if (asOf) q.set("as_of", asOf);
    if (state.versionsCursor) q.set("versions_cursor", state.versionsCursor);
    const pq = new URLSearchParams(asOf ? { as_of: asOf } : {});
    const [model, pointer] = await Promise.all([
      api(`${base}?${q}`),
      api(`${base}/production${pq.size ? `?${pq}` : ""}`).then(r => r.data, () => null),
    ]);
    state.model = model.data;
    state.production = pointer;
  }

  async function act(title, text, path, body = {}) {
    const reason = await confirmWithReason(title, text);
    if (!reason) return;
    try {
      await api(`${base}${path}`, { method: "POST", body: { ...body, reason }, ifMatch: state.model.stream_version });
      report(null);
      await refresh();
    } catch (error) {
      report(error);
    }
  }

  function drawModel() {
    const m = state.model;
    fill(lockBadge, m.locked ? h("span", { class: "badge locked", title: m.lock_reason ?? "" }, "locked") : null);
    fill(about,
      m.description ? h("p", {}, m.description) : null,
      Object.keys(m.tags ?? {}).length ? h("p", {}, Object.entries(m.tags).map(([k, v]) => h("span", { class: "badge" }, `${k}:${v}`)), " ") : null,
      m.locked ? h("p", { class: "muted" }, `Locked: ${m.lock_reason ?? "no reason given"}`) : null);

    fill(pageActions,
      canPublish ? h("button", { type: "button", onclick: () => act(`Roll back ${m.name}`, "Production goes back to the version that was in production before the current one.", "/rollback") }, "Rollback") : null,
      canAdminister && !m.locked ? h("button", { type: "button", onclick: () => act(`Lock ${m.name}`, "A locked model refuses every change until it is unlocked.", "/lock") }, "Lock") : null,
      canAdminister && m.locked ? h("button", { type: "button", onclick: () => act(`Unlock ${m.name}`, "", "/unlock") }, "Unlock") : null);

    const p = state.production;
    fill(production,
      h("p", { class: "production" }, h("strong", { class: "production-version" }, m.production_version ? `v${m.production_version}` : "none"),
        p && p.version === m.production_version ? h("span", { class: "muted" }, ` since ${when(p.promoted_at)} by ${p.promoted_by}`) : null),
      p && p.version === m.production_version ? h("p", { class: "muted mono" }, p.local_path, " · ", shortSha(p.sha256), " · ", bytes(p.size_bytes)) : null);

    const rows = m.versions.map(v => {
      const label = `v${v.version}`;
      const buttons = !canPublish ? [] : [
        v.stage === "staging" ? h("button", { type: "button", "aria-label": `Promote ${label}`, onclick: () => act(`Promote ${label} to production`, m.production_version ? `v${m.production_version} goes back to staging.` : "", `/versions/${v.version}/promote`, { stage: "production" }) }, "Promote") : null,
        v.stage === "production" ? h("button", { type: "button", "aria-label": `Demote ${label}`, onclick: () => act(`Demote ${label} to staging`, "The model has no production version afterwards.", `/versions/${v.version}/demote`) }, "Demote") : null,
        v.stage === "staging" ? h("button", { type: "button", "aria-label": `Archive ${label}`, onclick: () => act(`Archive ${label}`, "", `/versions/${v.version}/archive`) }, "Archive") : null,
        v.stage === "archived" ? h("button", { type: "button", "aria-label": `Restore ${label}`, onclick: () => act(`Restore ${label} to staging`, "", `/versions/${v.version}/restore`) }, "Restore") : null,
      ];
      return h("tr", { "data-version": v.version },
        h("th", { scope: "row" }, h("span", {}, label), h("span", { class: "served-mark", "data-version": v.version })),
        h("td", {}, badge("stage", v.stage)),
        h("td", {}, badge("status", v.status)),
        h("td", {}, bytes(v.size_bytes)),
        h("td", { class: "mono", title: v.sha256 ?? "" }, shortSha(v.sha256)),
        h("td", {}, source(v.source), v.duplicate_of ? h("div", { class: "muted" }, `same content as v${v.duplicate_of}`) : null),
        h("td", {}, v.created_by, h("div", { class: "muted" }, when(v.created_at))),
        canPublish ? h("td", {}, h("div", { class: "row-actions" }, buttons)) : null);
    });
    fill(versions,
      rows.length ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Version", "Stage", "Status", "Size", "SHA-256", "Source", "Created"].map(c => h("th", { scope: "col" }, c)),
          canPublish ? h("th", { scope: "col" }, "Actions") : null)),
        h("tbody", {}, rows))) : h("p", { class: "muted" }, "No versions."),
      pager(state.versionsCursor, m.versions_next_cursor, pageVersions, "Newest versions", "Older versions"));
    markServed();
  }

  /** The endpoints serving the model, by SHA-256 or by name; a failure is shown in the section and leaves the rest alone. */
  async function loadServing() {
    if (!showServing) return;
    try {
      state.serving = (await api(`/api/v1/endpoints/serving?${new URLSearchParams({ model: name })}`)).data;
    } catch (error) {
      state.serving = { error };
    }
  }

  /** Marks each shown version that an endpoint serves by its SHA-256. */
  function markServed() {
    const byVersion = new Map();
    for (const e of state.serving?.endpoints ?? []) {
      if (e.match !== "sha256" || !e.version) continue;
      if (!byVersion.has(e.version)) byVersion.set(e.version, new Map());
      byVersion.get(e.version).set(e.id, e.name);
    }
    versions.querySelectorAll(".served-mark").forEach(mark => {
      const names = [...(byVersion.get(Number(mark.dataset.version))?.values() ?? [])];
      fill(mark, names.length ? [" ", h("span", { class: "badge served", title: `Served by ${names.join(", ")}` },
        names.length > 1 ? `served ×${names.length}` : "served")] : null);
    });
  }

  function drawServing() {
    markServed();
    if (!showServing) return;
    const s = state.serving;
    if (!s) { fill(servedBy, h("p", { class: "muted" }, "Loading…")); return; }
    if (s.error) {
      fill(servedBy, h("p", { class: "muted" }, "The serving endpoints could not be read: ", s.error.title ?? s.error.message ?? String(s.error)));
      return;
    }
    if (!s.endpoints.length) { fill(servedBy, h("p", { class: "muted" }, "No endpoint serves this model.")); return; }
    fill(servedBy, table("Serving endpoints", ["Endpoint", "Type", "Health", "Last check", "Served as", "Match"], s.endpoints.map(e => h("tr", {},
      h("td", {}, h("a", { href: "#/endpoints" }, e.name), e.is_active ? null : h("div", { class: "muted" }, "inactive")),
      h("td", {}, e.endpoint_type),
      h("td", {}, badge("health", e.health_status)),
      h("td", { class: "nowrap" }, when(e.last_health_check)),
      h("td", { class: "mono" }, e.served_as),
      h("td", {}, e.match === "sha256" ? ["SHA-256", e.version ? ` of v${e.version}` : ""] : "by name")))));
  }

  async function pageVersions(cursor) {
    state.versionsCursor = cursor;
    try { await loadModel(); drawModel(); report(null); } catch (error) { report(error); }
  }

  async function drawTimeline() {
    const q = new URLSearchParams({ model: state.model.name, limit: "200" });
    q.append("type", "VersionPromoted");
    q.append("type", "VersionDemoted");
    if (asOf) q.set("to", asOf);
    if (state.timelineCursor) q.set("cursor", state.timelineCursor);
    const page = (await api(`/api/v1/audit?${q}`)).data;
    const changes = productionChanges(page.items);
    fill(timeline,
      changes.length ? h("ol", { class: "timeline", "aria-label": "Production timeline" }, changes.map(c => h("li", {},
        h("strong", {}, c.version ? `v${c.version}` : "none"),
        c.version ? (c.rollback ? ` by rollback from v${c.replaced}` : c.replaced ? ` replaced v${c.replaced}` : " (nothing was in production)") : ` (v${c.replaced} demoted)`,
        h("div", { class: "muted" }, `${when(c.timestamp)} by ${c.actor}`),
        c.reason ? h("div", {}, `“${c.reason}”`) : null)))
        : h("ol", { class: "timeline", "aria-label": "Production timeline" }, h("li", { class: "muted" }, "Never in production.")),
      pager(state.timelineCursor, page.next_cursor, pageTimeline, "Earliest changes", "Later changes"));
  }

  async function pageTimeline(cursor) {
    state.timelineCursor = cursor;
    try { await drawTimeline(); } catch (error) { report(error); }
  }

  async function drawHistory() {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (state.historyCursor) q.set("cursor", state.historyCursor);
    const page = (await api(`${base}/history?${q}`)).data;
    fill(history,
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["#", "Type", "When", "Actor", "Reason", "Correlation id"].map(c => h("th", { scope: "col" }, c)))),
        h("tbody", {}, page.items.map(e => h("tr", {},
          h("td", {}, e.stream_version),
          h("td", {}, e.type, e.data?.version ? ` v${e.data.version}` : ""),
          h("td", {}, when(e.timestamp)),
          h("td", {}, e.actor),
          h("td", {}, e.reason ?? ""),
          h("td", { class: "mono" }, e.correlation_id)))))),
      pager(state.historyCursor, page.next_cursor, pageHistory, "Earliest events", "Later events"));
  }

  async function pageHistory(cursor) {
    state.historyCursor = cursor;
    try { await drawHistory(); } catch (error) { report(error); }
  }

  async function refresh() {
    const serving = loadServing();
    await loadModel();
    drawModel();
    await Promise.all([drawTimeline(), drawHistory(), serving.then(drawServing)]).catch(report);
  }

  function registerForm() {
    const control = (label, el) => {
      const id = `register-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
      el.id = id;
      return h("div", { class: "field" }, h("label", { for: id }, label), el, h("span", { class: "field-error", id: `${id}-error`, hidden: true }));
    };
    const type = h("select", { name: "type" }, ["local", "url", "huggingface"].map(t => h("option", { value: t }, t)));
    const uri = h("input", { name: "uri", required: true, placeholder: "path under the storage root, URL or org/repo" });
    const file = h("input", { name: "file" });
    const revision = h("input", { name: "revision" });
    const sha256 = h("input", { name: "sha256", class: "mono", size: 20 });
    const inputs = { "Source type": type, URI: uri, File: file, Revision: revision, "SHA-256": sha256 };
    const box = h("div", { class: "problem", hidden: true });
    const done = h("p", { role: "status", class: "muted" });
    const form = h("form", { class: "filters register", "aria-labelledby": "section-register-a-version" },
      Object.entries(inputs).map(([label, el]) => control(label, el)),
      h("button", { type: "submit", class: "primary" }, "Register"));
    form.addEventListener("submit", async e => {
      e.preventDefault();
      for (const el of Object.values(inputs)) {
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
        const message = document.getElementById(`${el.id}-error`);
        message.hidden = true;
        message.textContent = "";
      }
      done.textContent = "";
      const body = { source: { type: type.value, uri: uri.value.trim() } };
      if (file.value.trim()) body.source.file = file.value.trim();
      if (revision.value.trim()) body.source.revision = revision.value.trim();
      if (sha256.value.trim()) body.sha256 = sha256.value.trim();
      try {
        const { data } = await api(`${base}/versions`, { method: "POST", body });
        showProblem(box, null);
        form.reset();
        done.textContent = `Registered v${data.version} (${data.status}).`;
        await refresh();
      } catch (error) {
        showProblem(box, error);
        for (const [field, messages] of Object.entries(error.errors ?? {})) {
          const el = inputs[FIELDS[field]];
          if (!el) continue;
          const message = document.getElementById(`${el.id}-error`);
          message.textContent = [].concat(messages).join(" ");
          message.hidden = false;
          el.setAttribute("aria-invalid", "true");
          el.setAttribute("aria-describedby", message.id);
        }
      }
    });
    return [form, box, done];
  }

  function timeTravel() {
    const input = h("input", { id: "as-of", name: "as_of", placeholder: "2026-12-04T10:00:00Z", value: asOf ?? "" });
    const box = h("div", { class: "problem", hidden: true });
    const form = h("form", { class: "filters time-travel" },
      h("label", { for: "as-of" }, "As of", input),
      h("button", { type: "submit" }, "Show"),
      asOf ? h("a", { href: modelHash(name) }, "Back to now") : null);
    form.addEventListener("submit", e => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) { location.hash = modelHash(name); return; }
      const at = new Date(text);
      if (Number.isNaN(at.getTime())) {
        showProblem(box, { message: "Give a time such as 2026-12-04T10:00:00Z." });
        box.querySelector("strong").textContent = "Not a time";
        return;
      }
      location.hash = `${modelHash(name)}?as_of=${at.toISOString()}`;
    });
    return [form, box];
  }

  fill(main,
    h("h1", {}, name, " ", lockBadge),
    asOf ? h("p", { class: "as-of", role: "note" }, h("strong", {}, `As of ${when(asOf)}`), " — the model as it was then; actions are hidden.") : null,
    problem, about, pageActions,
    ...timeTravel(),
    section("Production", production),
    section("Versions", versions),
    live ? section("Served by", context.may("reader") ? servedBy : h("p", { class: "muted" }, "Endpoints belong to a key; sign in with one to see which serve this model.")) : null,
    canPublish ? section("Register a version", ...registerForm()) : null,
    section("Production timeline", timeline),
    section("History", history));

  const serving = loadServing();
  try {
    await loadModel();
  } catch (error) {
    report(error);
    return undefined;
  }
  drawModel();
  drawServing();
  await Promise.all([drawTimeline(), drawHistory(), serving.then(drawServing)]).catch(report);
  if (!live) return undefined;

  const watch = stream(`${base}/production/watch`, async message => {
    if (message.event !== "production") return;
    let pointer = null;
    try { pointer = message.data ? JSON.parse(message.data) : null; } catch { /* a malformed event still means "look again" */ }
    if (pointer && pointer.version === state.model?.production_version && pointer.promoted_at === state.production?.promoted_at) return;
    try { await refresh(); } catch (error) { report(error); }
  });
  return () => watch.close();
}
