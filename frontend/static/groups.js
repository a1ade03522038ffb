// @ts-check
/** A facilitator's groups, `/groups`; an admin also creates groups here. */

import { ready, t } from "./i18n.js";
import { requireAccount } from "./account.js";
import { get, post } from "./api.js";
import { $, $as, busy, h, message, say } from "./ui.js";

await ready("common", "pages", "manage");

/** @param {boolean} archived */
async function list(archived) {
  /** @type {import("./types.js").Group[]} */
  const groups = await get(`/groups?archived=${archived}`);
  $("groups").replaceChildren(...groups.map((g) => h("li", { className: "card" },
    h("h2", {}, g.name, g.archived_at ? " " : "", g.archived_at ? h("span", { className: "tag", "data-state": "ended" }, t("groups.archived")) : ""),
    g.cohort ? h("p", { className: "muted" }, g.cohort) : "",
    h("a", { className: "button secondary", href: `/group?id=${g.id}` },
      t("groups.manage"), h("span", { className: "visually-hidden" }, ` ${g.name}`)))));
  $("empty").hidden = groups.length > 0;
}

/** @param {import("./types.js").Account} me */
async function wireCreate(me) {
  $("create").hidden = false;
  $("accounts-link").hidden = false;
  $("audit-link").hidden = false;
  /** @type {import("./account-types.js").AccountDetail[]} */
  const accounts = (await get("/accounts")).filter((/** @type {import("./account-types.js").AccountDetail} */ a) => !a.disabled_at);
  const select = $as("g-facilitator", HTMLSelectElement);
  select.replaceChildren(new Option(t("groups.nobodyYet"), ""),
    ...accounts.map((a) => new Option(t("groups.accountOption", { name: a.display_name, email: a.email }), a.id, false, a.id === me.id)));
  const form = $as("create-form", HTMLFormElement);
  const button = $as("create-submit", HTMLButtonElement);
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!value("g-name")) {
      say($("create-status"), t("groups.giveTheGroupA"), "error");
      $("g-name").focus();
      return;
    }
    void busy(button, $("create-status"), async () => {
      /** @type {Record<string, unknown>} */
      const body = { name: value("g-name"), cohort: value("g-cohort"),
        description: value("g-description"), size_limit: Number(value("g-size") || 12),
        timezone: value("g-timezone") || "Europe/London", facilitator_id: select.value || null };
      if (value("g-rules")) body.ground_rules = value("g-rules");
      /** @type {import("./types.js").Group} */
      const group = await post("/groups", body);
      location.assign(`/group?id=${group.id}`);
    });
  });
}

async function main() {
  const me = await requireAccount();
  const archived = $as("show-archived", HTMLInputElement);
  archived.addEventListener("change", () => list(archived.checked).catch((e) => say($("problem"), message(e), "error")));
  try {
    await list(false);
    $("programmes-link").hidden = !me.is_programme_lead;
    if (me.is_admin) await wireCreate(me);
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
