// Storage and integrity: the bytes on disk in total, per model and per source type; admins scan the storage root,
// hash every file again and clean up orphans here, and see what each run found.
import { api } from "/ui/api.js";
import { h, bytes, showProblem } from "/ui/ui.js";
import { table } from "/ui/table.js";

function list(items, line) {
  return items.length ? h("ul", {}, items.map(item => h("li", {}, line(item)))) : null;
}

const summaries = {
  scan: report => [
    h("p", {}, `Registered ${report.registered.length}, already known ${report.known}, skipped ${report.skipped}, ignored ${report.ignored}.`),
    list(report.registered, v => [h("a", { href: `#/models/${v.name}` }, `${v.name} v${v.version}`), " ", h("code", {}, v.local_path), ` (${bytes(v.size_bytes)})`]),
    list(report.skipped_files, f => [h("code", {}, f.path), `: ${f.reason}`]),
  ],
  integrity: report => [
    h("p", {}, `Checked ${report.checked}: ${report.ready} ready, ${report.missing} missing, ${report.corrupted} corrupted, ${report.unchecked} not checked.`),
    report.changed.length ? null : h("p", { class: "muted" }, "No version changed."),
    list(report.changed, c => [h("a", { href: `#/models/${c.name}` }, `${c.name} v${c.version}`), ` ${c.previous_status} → ${c.status} `, h("code", {}, c.local_path)]),
  ],
  cleanup: report => [
    h("p", {}, `Removed ${report.removed.length} file${report.removed.length === 1 ? "" : "s"} (${bytes(report.removed_bytes)}); kept ${report.kept} younger than the cleanup age.`),
    list(report.removed, f => [h("code", {}, f.path), ` ${f.kind}, ${bytes(f.size_bytes)}`]),
  ],
};

export async function render(main, params, context) {
  const problem = h("div", { class: "problem", hidden: true });
  const overview = h("div");
  main.append(h("h1", {}, "Storage"), problem, overview);

  async function load() {
    try {
      const { data } = await api("/api/v1/storage");
      overview.replaceChildren(
        h("div", { class: "cards" },
          h("div", { class: "card" }, h("div", { class: "muted" }, "Total"), h("strong", { "aria-label": "Total bytes" }, bytes(data.total_bytes)),
            h("div", { class: "muted" }, `${data.total_bytes.toLocaleString("en")} bytes`)),
          h("div", { class: "card" }, h("div", { class: "muted" }, "Files"), h("strong", {}, data.files)),
          h("div", { class: "card" }, h("div", { class: "muted" }, "Models with files"), h("strong", {}, data.models.length))),
        h("h2", {}, "Per model"),
        data.models.length
          ? table("Storage per model", ["Model", "Size", "Files"], data.models.map(m =>
            h("tr", {}, h("td", {}, h("a", { href: `#/models/${m.name}` }, m.name)), h("td", {}, bytes(m.bytes)), h("td", {}, m.files))))
          : h("p", { class: "muted" }, "No model has a file on disk."),
        h("h2", {}, "Per source type"),
        table("Storage per source type", ["Source type", "Size", "Files"], data.source_types.map(s =>
          h("tr", {}, h("td", {}, s.source_type), h("td", {}, bytes(s.bytes)), h("td", {}, s.files)))));
    } catch (error) {
      showProblem(problem, error);
    }
  }

  await load();
  if (!context.may("admin")) return;

  const result = h("div", { class: "card", role: "status", "aria-label": "Result", hidden: true });
  const action = (text, path, summary) => {
    const button = h("button", { type: "button" }, text);
    button.addEventListener("click", async () => {
      showProblem(problem, null);
      main.querySelectorAll(".maintenance button").forEach(b => { b.disabled = true; });
      result.hidden = false;
      result.replaceChildren(h("p", { class: "muted" }, `${text}: running…`));
      try {
        const { data } = await api(path, { method: "POST" });
        result.replaceChildren(h("div", {}, h("strong", {}, text), summary(data)));
        await load();
      } catch (error) {
        result.hidden = true;
        showProblem(problem, error);
      } finally {
        main.querySelectorAll(".maintenance button").forEach(b => { b.disabled = false; });
      }
    });
    return button;
  };
  main.append(h("section", { class: "maintenance", "aria-labelledby": "maintenance-heading" },
    h("h2", { id: "maintenance-heading" }, "Maintenance"),
    h("p", { class: "muted" },
      "Scan registers model files under the storage root that no version points at. Check integrity hashes every file again. ",
      "Clean up deletes orphaned partial downloads and unreferenced blobs older than the cleanup age."),
    h("div", { class: "toolbar" },
      action("Scan", "/api/v1/scan", summaries.scan),
      action("Check integrity", "/api/v1/integrity", summaries.integrity),
      action("Clean up", "/api/v1/storage/cleanup", summaries.cleanup)),
    result));
}
