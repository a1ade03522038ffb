// @ts-check
/** "My groups", `/`: the groups this device belongs to, for a returning doctor. */

import { get, put } from "./api.js";
import { waiting } from "./format.js";
import { wireForget } from "./forget.js";
import { ready, t } from "./i18n.js";
import { mountLanguages } from "./languages.js";
import { $, $as, busy, h, message, say } from "./ui.js";

/**
 * The doctor's email for one group and whether they want reminders (only when the service
 * sends email). @param {import("./types.js").Membership & {email?: string | null,
 *   reminders?: boolean}} m
 */
function emailSettings(m) {
  const id = m.member_id;
  const email = h("input", { id: `email-${id}`, type: "email", autocomplete: "email",
    maxLength: 254, value: m.email || "" });
  const remind = h("input", { id: `remind-${id}`, type: "checkbox", checked: m.reminders !== false });
  const out = h("div", { className: "msg", role: "status", hidden: true });
  const save = h("button", { type: "submit" }, t("mygroups.save"));
  const form = h("form", { noValidate: true },
    h("label", { for: email.id }, t("mygroups.email"), " ",
      h("span", { className: "hint" }, t("mygroups.emailHint"))),
    email,
    h("p", {}, remind, " ", h("label", { for: remind.id }, t("mygroups.remind"))),
    h("p", { className: "muted" }, t("mygroups.changesEmailed")),
    h("div", { className: "actions" }, save), out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, out, async () => {
      await put(`/me/memberships/${encodeURIComponent(id)}/contact`,
        { email: email.value.trim() || null, reminders: remind.checked });
      say(out, t("mygroups.saved"), "ok");
    });
  });
  return h("details", {}, h("summary", {}, t("mygroups.emailSettings")), form);
}

async function main() {
  await ready("common", "pages");
  mountLanguages();
  wireForget($as("forget", HTMLButtonElement), $("status"), () => {
    $("groups").hidden = true;
    $("forget-line").hidden = true;
    $("none").hidden = false;
  });
  /** @type {import("./types.js").Membership[]} */
  let mine;
  try {
    mine = await get("/me/memberships");
  } catch (error) {
    $("loading").hidden = true;
    return say($("problem"), message(error), "error");
  }
  $("loading").hidden = true;
  if (!mine.length) {
    $("none").hidden = false;
    return;
  }
  /** @type {{enabled: boolean}} */
  const mail = await get("/mail").catch(() => ({ enabled: false }));
  $("groups").replaceChildren(...mine.map((m) => {
    const { text } = waiting(m.next_session, { timeZone: m.group.timezone,
      facilitating: m.role !== "member" });
    return h("li", { className: "card" },
      h("h2", {}, m.group.name),
      h("p", { className: "muted" }, t("mygroups.appearAs", { name: m.display_name })),
      h("p", {}, text),
      h("a", { className: "button", href: `/lobby?group=${encodeURIComponent(m.group.id)}` },
        t("mygroups.toLobby"), h("span", { className: "visually-hidden" },
          t("mygroups.toLobbyOf", { group: m.group.name }))),
      mail.enabled && emailSettings(m));
  }));
  $("groups").hidden = false;
  $("attendance-line").hidden = false;
  $("forget-line").hidden = false;
}

main();
