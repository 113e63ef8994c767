// Downloads: one page of jobs, newest first, optionally in one state; unfinished jobs' rows follow their server-sent
// progress until they finish; publishers cancel jobs and request new downloads.
import { api, stream } from "/ui/api.js";
import { h, bytes, when, badge, showProblem } from "/ui/ui.js";
import { table } from "/ui/table.js";

const STATES = ["queued", "retrying", "running", "cancelling", "succeeded", "failed", "cancelled"];
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const CANCELLABLE = new Set(["queued", "retrying", "running"]);
const PAGE_SIZE = 25;
// A browser opens about six connections to one server; streams beyond a few would leave none for the page's requests,
// so the rest of the unfinished jobs are polled with the page's list instead.
const MAX_STREAMS = 4;
const POLL_MS = 3000;

function label(download) { return `${download.model} v${download.version}`; }

function go(state, cursor) {
  const query = new URLSearchParams();
  if (state) query.set("state", state);
  if (cursor) query.set("cursor", cursor);
  location.hash = `#/downloads${query.size ? `?${query}` : ""}`;
}

/** A job's row; `update(download)` changes its cells in place so a focused Cancel button keeps its focus. */
function jobRow(download, context, { onCancel }) {
  const progress = h("progress", { "aria-label": `Progress of ${label(download)}` });
  const done = h("span", { class: "muted" });
  const cells = {
    state: h("td"), speed: h("td", { class: "nowrap" }), attempts: h("td"), error: h("td"), actions: h("td"),
  };
  const row = h("tr", { dataset: { id: download.id } },
    h("td", {}, h("a", { href: `#/models/${download.model}` }, download.model)),
    h("td", {}, `v${download.version}`),
    cells.state,
    h("td", { class: "progress-cell" }, progress, done),
    cells.speed, cells.attempts, cells.error, cells.actions);
  let cancel = null;

  const update = d => {
    cells.state.replaceChildren(badge("state", d.state));
    if (d.bytes_total) {
      progress.max = d.bytes_total;
      progress.value = d.bytes_done;
      done.textContent = `${bytes(d.bytes_done)} of ${bytes(d.bytes_total)}`;
    } else if (FINISHED.has(d.state)) {
      progress.max = 1;
      progress.value = d.state === "succeeded" ? 1 : 0;
      done.textContent = bytes(d.bytes_done);
    } else {
      progress.removeAttribute("value");
      done.textContent = d.bytes_done ? bytes(d.bytes_done) : "size not known yet";
    }
    cells.speed.textContent = d.state === "running" && d.bytes_per_second ? `${bytes(d.bytes_per_second)}/s` : "–";
    cells.attempts.replaceChildren(h("span", {}, `${d.attempts} of ${d.max_attempts}`,
      d.next_attempt_at && d.state === "retrying" ? h("div", { class: "muted" }, `next ${when(d.next_attempt_at)}`) : null));
    cells.error.textContent = d.last_error ?? "–";
    const cancellable = context.may("publisher") && CANCELLABLE.has(d.state) && !d.cancel_requested;
    if (cancellable && !cancel) {
      cancel = h("button", { type: "button", "aria-label": `Cancel download of ${label(d)}`, onclick: () => onCancel(d, update) }, "Cancel");
      cells.actions.replaceChildren(cancel);
    } else if (!cancellable && cancel) {
      cancel = null;
      cells.actions.replaceChildren();
    }
  };
  update(download);
  return { row, update };
}

function requestForm(problem, onRequested) {
  const ref = h("input", { id: "download-ref", name: "model_ref", required: true, autocomplete: "off", placeholder: "hf:org/repo/file.gguf or https://…" });
  const name = h("input", { id: "download-name", name: "name", autocomplete: "off", placeholder: "from the model ref" });
  const box = h("div", { class: "problem", hidden: true });
  const form = h("form", { class: "toolbar", "aria-labelledby": "request-heading" },
    h("label", { class: "field grow", for: "download-ref" }, "Model ref", ref),
    h("label", { class: "field", for: "download-name" }, "Name", name),
    h("button", { type: "submit", class: "primary" }, "Download"));
  form.addEventListener("submit", async e => {
    e.preventDefault();
    showProblem(box, null);
    showProblem(problem, null);
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const body = { model_ref: ref.value.trim() };
      if (name.value.trim()) body.name = name.value.trim();
      const { data } = await api("/api/v1/downloads", { method: "POST", body });
      form.reset();
      onRequested(data);
    } catch (error) {
      showProblem(box, error);
    } finally {
      button.disabled = false;
    }
  });
  return h("section", {}, h("h2", { id: "request-heading" }, "Request a download"), form, box);
}

export async function render(main, params, context) {
  const state = params.query.get("state") || "";
  const cursor = params.query.get("cursor") || null;
  const problem = h("div", { class: "problem", hidden: true });
  const status = h("p", { role: "status", class: "muted" });
  const streams = new Map();
  let poll = null;
  const stop = () => { streams.forEach(s => s.close()); streams.clear(); clearInterval(poll); poll = null; };

  const select = h("select", { id: "download-state", onchange: () => go(select.value, null) },
    h("option", { value: "" }, "All"),
    STATES.map(s => h("option", { value: s, selected: s === state }, s)));
  const filters = h("div", { class: "toolbar" }, h("label", { class: "field", for: "download-state" }, "State", select));

  main.append(h("h1", {}, "Downloads"), problem);
  if (context.may("publisher")) {
    main.append(requestForm(problem, d => {
      status.textContent = `Download of ${label(d)} requested.`;
      if (state || cursor) go("", null);
      else load();
    }));
  }
  main.append(h("h2", {}, "Jobs"), filters, status);
  const list = h("div");
  main.append(list);

  const cancelDownload = async (download, update) => {
    showProblem(problem, null);
    try {
      const { data } = await api(`/api/v1/downloads/${download.id}`, { method: "DELETE" });
      if (data) update(data);
      status.textContent = `Cancelling the download of ${label(download)}.`;
    } catch (error) {
      showProblem(problem, error);
    }
  };

  const follow = (download, update) => {
    let finished = false;
    const s = stream(`/api/v1/downloads/${download.id}/events`, message => {
      try {
        const d = JSON.parse(message.data);
        update(d);
        if (FINISHED.has(d.state)) finished = true;
      } catch { /* a malformed event changes nothing on the page */ }
    }, { onEnd: error => (error || finished ? (streams.delete(download.id), false) : true) });
    streams.set(download.id, s);
  };

  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (state) query.set("state", state);
  if (cursor) query.set("cursor", cursor);
  const listPath = `/api/v1/downloads?${query}`;

  const watch = (unfinished, updates) => {
    const running = unfinished.filter(d => d.state === "running");
    const streamed = [...running, ...unfinished.filter(d => d.state !== "running")].slice(0, MAX_STREAMS);
    streamed.forEach(d => follow(d, updates.get(d.id)));
    if (unfinished.length <= streamed.length) return;
    poll = setInterval(async () => {
      try {
        const { data } = await api(listPath);
        data.items.filter(d => updates.has(d.id) && !streams.has(d.id)).forEach(d => updates.get(d.id)(d));
      } catch { /* the banner tells when the registry cannot be reached; the next poll tries again */ }
    }, POLL_MS);
  };

  async function load() {
    stop();
    let page;
    try {
      ({ data: page } = await api(listPath));
    } catch (error) {
      list.replaceChildren();
      showProblem(problem, error);
      return;
    }
    if (!page.items.length) {
      list.replaceChildren(h("p", { class: "muted" }, state ? `No download is ${state}.` : "No downloads yet."));
    } else {
      const updates = new Map();
      const rows = page.items.map(download => {
        const { row, update } = jobRow(download, context, { onCancel: cancelDownload });
        updates.set(download.id, update);
        return row;
      });
      list.replaceChildren(table("Downloads", ["Model", "Version", "State", "Progress", "Speed", "Attempts", "Last error", ""], rows));
      watch(page.items.filter(d => !FINISHED.has(d.state)), updates);
    }
    list.append(h("div", { class: "toolbar" },
      cursor ? h("button", { type: "button", onclick: () => go(state, null) }, "First page") : null,
      page.next_cursor ? h("button", { type: "button", onclick: () => go(state, page.next_cursor) }, "Next page") : null));
  }

  await load();
  return stop;
}
