// @ts-check
/** A group's members: roles, start and end dates, ending a membership; an admin adds facilitators. */

import { t } from "./i18n.js";
import { get, patch, post } from "./api.js";
import { ROLES, dateInput, day, fromInputs, roleName } from "./format.js";
import { $, $as, busy, h, say } from "./ui.js";

/** @typedef {import("./types.js").Member} Member */

/** @param {import("./types.js").Group} group @param {import("./types.js").Account} me */
export async function mountMembers(group, me) {
  const out = $("member-status");
  const ended = $as("show-ended", HTMLInputElement);
  const locked = Boolean(group.archived_at);
  const reload = async () => {
    /** @type {Member[]} */
    const members = await get(`/groups/${group.id}/members?include_ended=${ended.checked}`);
    $("member-list").replaceChildren(...members.map((m) => card(m, reload)));
    if (!members.length) $("member-list").append(h("li", {}, t("groupMembers.nobodyHasJoinedYet")));
  };

  /** @param {Member} m @param {() => Promise<void>} again */
  function card(m, again) {
    const id = (/** @type {string} */ part) => `m-${m.id}-${part}`;
    const isEnded = m.ended_at !== null && new Date(m.ended_at) <= new Date();
    const role = h("select", { id: id("role"), disabled: locked || isEnded },
      ...ROLES.map((value) => new Option(roleName(value), value, false, value === m.role)));
    if (!m.has_account) {
      for (const option of role.options) if (option.value !== "member") option.disabled = true;
    }
    const start = h("input", { id: id("start"), type: "date", value: dateInput(m.started_at), disabled: locked || isEnded });
    const end = h("input", { id: id("end"), type: "date", value: m.ended_at ? dateInput(m.ended_at) : "",
      disabled: locked || isEnded });
    const save = h("button", { type: "button", className: "secondary", hidden: locked || isEnded },
      t("groupMembers.save"), h("span", { className: "visually-hidden" }, ` ${m.display_name}`));
    const stop = h("button", { type: "button", className: "danger", hidden: locked || isEnded },
      t("groupMembers.endMembership"), h("span", { className: "visually-hidden" }, t("members.of", { name: m.display_name })));
    save.addEventListener("click", () => busy(save, out, async () => {
      /** @type {Record<string, string>} */
      const body = { role: role.value, started_at: fromInputs(start.value) };
      if (end.value) body.ended_at = fromInputs(end.value);
      await patch(`/members/${m.id}`, body);
      say(out, t("members.saved", { name: m.display_name }), "ok");
      await again();
    }));
    stop.addEventListener("click", () => busy(stop, out, async () => {
      if (!confirm(t("members.endConfirm", { name: m.display_name }))) return;
      await post(`/members/${m.id}/end`);
      say(out, t("members.ended", { name: m.display_name }), "ok");
      await again();
    }));
    return h("li", { className: "card" },
      h("h3", {}, m.display_name, " ", isEnded ? h("span", { className: "tag", "data-state": "ended" }, t("groupMembers.ended")) : ""),
      h("p", { className: "muted" }, t(m.ended_at ? (isEnded ? "members.sinceEnded" : "members.sinceEnds")
        : "members.since", { role: roleName(m.role), email: m.email ? `, ${m.email}` : "",
        start: day(m.started_at), end: m.ended_at ? day(m.ended_at) : "" })),
      h("label", { for: id("role") }, t("groupMembers.role"),
        m.has_account ? "" : h("span", { className: "hint" }, t("groupMembers.facilitatorsNeedAnAccount"))),
      role,
      h("label", { for: id("start") }, t("groupMembers.started")), start,
      h("label", { for: id("end") }, t("groupMembers.ends"), h("span", { className: "hint" }, t("groupMembers.forExampleTheEnd"))), end,
      h("div", { className: "actions" }, save, stop));
  }

  ended.addEventListener("change", () => void reload());
  if (me.is_admin && !locked) await wireFacilitators(group, out, reload);
  await reload();
}

/** @param {import("./types.js").Group} group @param {HTMLElement} out @param {() => Promise<void>} reload */
async function wireFacilitators(group, out, reload) {
  /** @type {import("./account-types.js").AccountDetail[]} */
  const accounts = (await get("/accounts")).filter((/** @type {import("./account-types.js").AccountDetail} */ a) => !a.disabled_at);
  const select = $as("f-account", HTMLSelectElement);
  select.replaceChildren(...accounts.map((a) => new Option(t("groups.accountOption", { name: a.display_name, email: a.email }), a.id)));
  const form = $as("facilitator-form", HTMLFormElement);
  form.hidden = false;
  const button = $as("facilitator-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(button, out, async () => {
      await post(`/groups/${group.id}/facilitators`,
        { account_id: select.value, role: $as("f-role", HTMLSelectElement).value });
      say(out, t("groupMembers.added"), "ok");
      await reload();
    });
  });
}
