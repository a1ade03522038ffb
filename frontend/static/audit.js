// @ts-check
/**
 * The audit log page (admins): filter the records and export them as CSV or JSON.
 */
import { ready, t } from "./i18n.js";
import { requireAccount } from "./account.js";
import { API, get } from "./api.js";
import { queryOf, isId } from "./audit-query.js";
import { $, $as, h, message, say } from "./ui.js";

await ready("common", "pages", "manage");

/**
 * @typedef {{at: string, actor: string, actor_kind: string, actor_id: string | null,
 *   action: string, object_type: string, object_id: string | null, outcome: string,
 *   detail: Record<string, unknown>}} AuditRecord
 */

const when = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });

/** @returns {import("./audit-query.js").Filters} */
function filters() {
  const value = (/** @type {string} */ id) => $as(id, HTMLInputElement).value;
  return { action: $as("f-action", HTMLSelectElement).value, outcome: $as("f-outcome", HTMLSelectElement).value,
    actor: value("f-actor"), object: value("f-object"), since: value("f-since"), until: value("f-until") };
}

/** @param {AuditRecord} r */
function row(r) {
  const detail = Object.entries(r.detail || {}).map(([k, v]) => `${k}: ${v}`).join(", ");
  return h("tr", {},
    h("td", {}, h("time", { dateTime: r.at }, when.format(new Date(r.at)))),
    h("td", { className: "mono" }, r.actor),
    h("td", {}, r.action),
    h("td", { className: "mono" }, r.object_id ? `${r.object_type} ${r.object_id}` : r.object_type),
    h("td", {}, r.outcome === "ok" ? "done" : `refused: ${r.outcome}`),
    h("td", {}, detail));
}

async function show() {
  const f = filters(), out = $("status");
  if (f.actor.trim() && !isId(f.actor)) {
    say(out, t("audit.anActorIdLooks"), "error");
    return $("f-actor").focus();
  }
  const query = queryOf(f);
  $as("export-csv", HTMLAnchorElement).href = `${API}/audit/export${queryOf(f, { format: "csv" })}`;
  $as("export-json", HTMLAnchorElement).href = `${API}/audit/export${queryOf(f, { format: "json" })}`;
  /** @type {AuditRecord[]} */
  const records = await get(`/audit${query}`);
  $("rows").replaceChildren(...records.map(row));
  say(out, records.length ? t("audit.count", { count: records.length })
    : t("audit.noRecordsMatchThese"), "info");
}

async function main() {
  const me = await requireAccount();
  if (!me.is_admin) return say($("problem"), t("audit.adminsOnly"), "error");
  try {
    /** @type {string[]} */
    const actions = await get("/audit/actions");
    $("f-action").append(...actions.map((a) => new Option(a, a)));
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      show().catch((error) => say($("problem"), message(error), "error"));
    });
    await show();
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
