// @ts-check
/** A group's invites: create a link (shown once), copy it, see uses and status, revoke. */

import { t } from "./i18n.js";
import { get, post } from "./api.js";
import { day } from "./format.js";
import { $, $as, busy, h, say } from "./ui.js";

/** @typedef {import("./types.js").Invite} Invite */

// An invite's status in words: `invites.status.STATUS`.

/** @param {import("./types.js").Group} group */
export async function mountInvites(group) {
  const out = $("invite-status");
  const reload = async () => {
    /** @type {Invite[]} */
    const invites = await get(`/groups/${group.id}/invites`);
    $("invite-list").replaceChildren(...invites.map((i) => row(i, reload)));
    if (!invites.length) $("invite-list").append(h("li", { className: "row" }, t("groupInvites.noInvitesYet")));
  };

  /** @param {Invite} i @param {() => Promise<void>} again */
  function row(i, again) {
    const name = i.label || (i.kind === "personal" ? t("groupInvites.personalLink") : t("groupInvites.sharedLink"));
    const revoke = i.status === "active" && !group.archived_at
      ? h("button", { type: "button", className: "danger" }, t("groupInvites.revoke"),
        h("span", { className: "visually-hidden" }, t("invites.revokeWhat", { name }))) : null;
    revoke?.addEventListener("click", () => busy(revoke, out, async () => {
      if (!confirm(t("invites.revokeConfirm", { name }))) return;
      await post(`/invites/${i.id}/revoke`);
      say(out, t("invites.revoked", { name }), "ok");
      await again();
    }));
    return h("li", { className: "row" },
      h("div", {}, h("strong", {}, name), " ",
        h("span", { className: "tag", "data-state": i.status }, t(`invites.status.${i.status}`)),
        h("div", { className: "muted" },
          t(`invites.line.${i.kind === "personal" ? "personal" : "shared"}.${i.status === "expired" ? "expired" : "until"}`,
            { uses: i.uses, max: i.max_uses, date: day(i.expires_at) }))),
      revoke);
  }

  const form = $as("invite-form", HTMLFormElement);
  const kind = () => /** @type {HTMLInputElement} */ (form.querySelector("input[name=kind]:checked")).value;
  // The lines follow the kind chosen, including a choice made while the page was still loading.
  let mail = { enabled: false };
  const showLines = () => {
    $("uses-line").hidden = kind() !== "group";
    $("email-line").hidden = !mail.enabled || kind() !== "personal";
  };
  for (const radio of form.querySelectorAll("input[name=kind]")) radio.addEventListener("change", showLines);
  showLines();
  /** @type {{enabled: boolean}} */
  mail = await get("/mail").catch(() => ({ enabled: false }));
  showLines();
  const button = $as("invite-submit", HTMLButtonElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(button, out, async () => {
      const days = $as("i-days", HTMLInputElement).value;
      const email = mail.enabled && kind() === "personal" ? $as("i-email", HTMLInputElement).value.trim() : "";
      /** @type {import("./types.js").InviteCreated} */
      const created = await post(`/groups/${group.id}/invites`, {
        label: $as("i-label", HTMLInputElement).value.trim(), kind: kind(),
        max_uses: kind() === "group" ? Number($as("i-uses", HTMLInputElement).value || 1) : 1,
        expires_in_days: days ? Number(days) : null, ...(email ? { email } : {}) });
      say(out, email ? t("invites.emailed", { email }) : "", "ok");
      $as("link", HTMLInputElement).value = created.link;
      $("copy-status").textContent = "";
      $("new-link").hidden = false;
      $("new-link").focus();
      form.reset();
      showLines();
      await reload();
    });
  });
  $("copy").addEventListener("click", async () => {
    const link = $as("link", HTMLInputElement);
    try {
      await navigator.clipboard.writeText(link.value);
      $("copy-status").textContent = t("groupInvites.copied");
    } catch {
      link.select();
      $("copy-status").textContent = t("groupInvites.selectedPressCtrlC");
    }
  });
  await reload();
}
