// A page's list as a table; a wide one reads as one card per row on a phone (style.css, table.stack), each cell
// carrying its column's name for that layout.
import { h } from "/ui/ui.js";

/** Tables with more columns than this do not fit a phone's width. */
const WIDE = 4;

/** `columns` are the header texts (an empty one for an actions column); `rows` are <tr> elements of <td>s. */
export function table(label, columns, rows) {
  for (const row of rows) {
    [...row.children].forEach((cell, i) => cell.setAttribute("data-label", columns[i] ?? ""));
  }
  return h("div", { class: "table-wrap" }, h("table", { class: columns.length > WIDE ? "stack" : null, "aria-label": label },
    h("thead", {}, h("tr", {}, columns.map(c => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows)));
}
