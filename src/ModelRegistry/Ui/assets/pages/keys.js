// Keys (admin): every key without its secret, revoked ones too; a new key's secret is shown here once, right after
// it is created, and never again.
import { api } from "/ui/api.js";
import { h, when, badge, showProblem, confirmWithReason } from "/ui/ui.js";
import { table } from "/ui/table.js";

const ROLES = ["reader", "publisher", "admin"];

export async function render(main, params, context) {
  const problem = h("div", { class: "problem", hidden: true });
  main.append(h("h1", {}, "Keys"), problem);
  if (!context.may("admin")) {
    main.append(h("p", { class: "muted" }, "Managing keys needs an admin key; sign in with one."));
    return;
  }

  const created = h("div", { role: "status" });
  const name = h("input", { id: "key-name", name: "name", required: true, autocomplete: "off", maxlength: 64, placeholder: "ci-pipeline" });
  const role = h("select", { id: "key-role", name: "role" }, ROLES.map(r => h("option", { value: r, selected: r === "reader" }, r)));
  const formProblem = h("div", { class: "problem", hidden: true });
  const form = h("form", { class: "toolbar", "aria-labelledby": "create-heading" },
    h("label", { class: "field", for: "key-name" }, "Name", name),
    h("label", { class: "field", for: "key-role" }, "Role", role),
    h("button", { type: "submit", class: "primary" }, "Create"));
  const list = h("div");
  main.append(
    h("section", {}, h("h2", { id: "create-heading" }, "Create key"), form, formProblem, created),
    h("h2", {}, "All keys"), list);

  form.addEventListener("submit", async e => {
    e.preventDefault();
    showProblem(formProblem, null);
    created.replaceChildren();
    try {
      const { data } = await api("/api/v1/keys", { method: "POST", body: { name: name.value.trim(), role: role.value } });
      form.reset();
      created.replaceChildren(h("div", { class: "card" },
        h("p", {}, `Key ${data.name} (${data.role}) created. Copy its secret now: it is shown only this once.`),
        h("label", { for: "new-key-secret" }, "New key secret"),
        h("output", { id: "new-key-secret", class: "secret mono" }, data.key),
        h("div", { class: "toolbar" }, h("button", {
          type: "button",
          onclick: async ev => {
            try { await navigator.clipboard.writeText(data.key); ev.target.textContent = "Copied"; } catch { ev.target.textContent = "Select and copy it"; }
          },
        }, "Copy"))));
      await load();
    } catch (error) {
      showProblem(formProblem, error);
    }
  });

  const revoke = async key => {
    // The API records who revoked a key, not why; the reason asked here is the confirmation.
    if (await confirmWithReason(`Revoke ${key.name}`, `Requests with the key ${key.name} (${key.role}) are refused from then on. This cannot be undone.`) === null) return;
    showProblem(problem, null);
    try {
      await api(`/api/v1/keys/${encodeURIComponent(key.name)}`, { method: "DELETE" });
      await load();
    } catch (error) {
      showProblem(problem, error);
    }
  };

  async function load() {
    let data;
    try {
      ({ data } = await api("/api/v1/keys"));
    } catch (error) {
      showProblem(problem, error);
      return;
    }
    if (!data.items.length) { list.replaceChildren(h("p", { class: "muted" }, "No keys yet.")); return; }
    list.replaceChildren(table("Keys", ["Name", "Role", "Created", "Revoked", ""], data.items.map(key => h("tr", {},
      h("td", {}, key.name),
      h("td", {}, badge("role", key.role)),
      h("td", {}, when(key.created_at), key.created_by ? h("div", { class: "muted" }, `by ${key.created_by}`) : null),
      h("td", {}, key.revoked_at ? when(key.revoked_at) : "–"),
      h("td", {}, key.revoked_at ? null : h("button", { type: "button", "aria-label": `Revoke ${key.name}`, onclick: () => revoke(key) }, "Revoke"))))));
  }

  await load();
}
