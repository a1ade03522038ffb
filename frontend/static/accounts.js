// @ts-check
/**
 * Accounts, `/accounts` (admins only): create an account (with a one-time link to set a
 * password, or for single sign-on only), rename it, make it an admin or not, disable and enable
 * it, reset its password, delete it. A new link is shown once, to copy: Rounds sends no email.
 */

import { ready, t } from "./i18n.js";
import { requireAccount } from "./account.js";
import { del, get, patch, post } from "./api.js";
import { day } from "./format.js";
import { $, $as, busy, h, message, say } from "./ui.js";

await ready("common", "pages", "manage");

/** @typedef {import("./account-types.js").AccountDetail} AccountDetail */

/** How an account signs in, in words. @param {AccountDetail} a */
export function signsIn(a) {
  if (a.has_password) return t("accounts.signsInPassword");
  if (a.password_link_expires_at) {
    return t("accounts.linkPending", { date: day(a.password_link_expires_at) });
  }
  return t("accounts.signsInSso");
}

/** Show a new set-password link, once. @param {import("./account-types.js").AccountCreated} a */
function showLink(a) {
  if (!a.password_link) return;
  $("new-link-for").textContent = t("accounts.linkFor", { name: a.display_name, email: a.email });
  $as("link", HTMLInputElement).value = a.password_link;
  $("copy-status").textContent = "";
  $("new-link").hidden = false;
  $("new-link").focus();
}

/** @param {string} text @param {string} [state] */
const tag = (text, state) => h("span", { className: "tag", "data-state": state }, text);

/**
 * One account's card. @param {AccountDetail} a @param {import("./types.js").Account} me
 * @param {() => Promise<void>} reload
 */
function card(a, me, reload) {
  const out = $("status"), you = a.id === me.id, name = a.display_name;
  const id = (/** @type {string} */ part) => `a-${a.id}-${part}`;
  const named = (/** @type {string} */ text) => [text, h("span", { className: "visually-hidden" }, ` ${name}`)];
  const edit = h("button", { type: "button", className: "secondary", "aria-expanded": "false",
    "aria-controls": id("form") }, ...named(t("accounts.edit")));
  const reset = h("button", { type: "button", className: "secondary" }, t("accounts.resetPassword"),
    h("span", { className: "visually-hidden" }, t("accounts.ofName", { name })));
  const toggle = a.disabled_at
    ? h("button", { type: "button", className: "secondary" }, ...named(t("accounts.enable")))
    : h("button", { type: "button", className: "danger" }, ...named(t("accounts.disable")));
  const remove = h("button", { type: "button", className: "danger" }, ...named(t("accounts.delete")));
  const nameInput = h("input", { id: id("name"), value: name, maxLength: 80, required: true });
  const admin = h("input", { id: id("admin"), type: "checkbox", checked: a.is_admin });
  const lead = h("input", { id: id("lead"), type: "checkbox", checked: a.is_programme_lead });
  const save = h("button", { type: "submit" }, ...named(t("accounts.save")));
  const form = h("form", { id: id("form"), hidden: true, noValidate: true },
    h("label", { for: id("name") }, t("accounts.name")), nameInput,
    h("label", { className: "check" }, admin, h("span", {}, t("accounts.administrator"))),
    h("label", { className: "check" }, lead, h("span", {}, t("accounts.programmeLead"))),
    h("div", { className: "actions" }, save));

  edit.addEventListener("click", () => {
    form.hidden = !form.hidden;
    edit.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) nameInput.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!nameInput.value.trim()) return say(out, t("accounts.giveTheAccountA"), "error");
    void busy(save, out, async () => {
      await patch(`/accounts/${a.id}`, { display_name: nameInput.value.trim(), is_admin: admin.checked,
        is_programme_lead: lead.checked });
      say(out, t("accounts.saved", { name: nameInput.value.trim() }), "ok");
      await reload();
    });
  });
  reset.addEventListener("click", () => busy(reset, out, async () => {
    if (!confirm(t("accounts.resetConfirm", { name }) + (you ? ` ${t("accounts.youSignOut")}` : ""))) return;
    showLink(await post(`/accounts/${a.id}/password-link`));
    say(out, t("accounts.resetDone", { name }), "ok");
    await (you ? Promise.resolve() : reload());
  }));
  toggle.addEventListener("click", () => busy(toggle, out, async () => {
    if (a.disabled_at) {
      await post(`/accounts/${a.id}/enable`);
      say(out, t("accounts.enabled", { name }), "ok");
    } else {
      if (!confirm(t("accounts.disableConfirm", { name }) + (you ? ` ${t("accounts.youSignOut")}` : ""))) return;
      await post(`/accounts/${a.id}/disable`);
      if (you) return location.assign("/signin");
      say(out, t("accounts.disabledDone", { name }), "ok");
    }
    await reload();
  }));

  remove.addEventListener("click", () => busy(remove, out, async () => {
    if (!confirm(t("accounts.deleteConfirm", { name }))) return;
    await del(`/accounts/${a.id}`);
    say(out, t("accounts.deleted", { name }), "ok");
    await reload();
  }));

  return h("li", { className: "card", "data-account": a.id },
    h("h2", {}, name, you ? ` ${t("accounts.you")} ` : " ", a.is_admin ? tag(t("accounts.administrator")) : "", " ",
      a.is_programme_lead ? tag(t("accounts.programmeLead")) : "", " ",
      a.disabled_at ? tag(t("accounts.disabled"), "ended") : ""),
    h("p", { className: "muted" }, a.email),
    h("p", {}, signsIn(a), a.disabled_at ? ` ${t("accounts.disabledSince", { date: day(a.disabled_at) })}` : ""),
    h("div", { className: "actions" }, edit, reset, toggle, you ? "" : remove), form);
}

/** @param {() => Promise<void>} reload */
async function wireCreate(reload) {
  /** @type {{enabled: boolean}} */
  const sso = await get("/auth/oidc");
  $("sso-note").hidden = sso.enabled;
  const form = $as("create-form", HTMLFormElement), button = $as("create-submit", HTMLButtonElement);
  const out = $("create-status");
  const email = $as("a-email", HTMLInputElement), name = $as("a-name", HTMLInputElement);
  button.disabled = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const bad = !/^[^@\s]+@[^@\s]+$/.test(email.value.trim()) ? email : !name.value.trim() ? name : null;
    if (bad) {
      say(out, bad === email ? t("accounts.enterTheirEmailAddress") : t("accounts.enterTheirName"), "error");
      return bad.focus();
    }
    const how = /** @type {HTMLInputElement} */ (form.querySelector("input[name=signin]:checked")).value;
    void busy(button, out, async () => {
      /** @type {import("./account-types.js").AccountCreated} */
      const created = await post("/accounts", { email: email.value.trim(), display_name: name.value.trim(),
        is_admin: $as("a-admin", HTMLInputElement).checked,
        is_programme_lead: $as("a-lead", HTMLInputElement).checked, password_link: how === "link" });
      say(out, t(created.password_link ? "accounts.created" : "accounts.createdSso",
        { name: created.display_name }), "ok");
      form.reset();
      await reload();
      showLink(created);
    });
  });
}

/**
 * The outbox's counts in a sentence: never who to, never what.
 * @param {{enabled: boolean, queued: number, sending: number, sent: number, failed: number}} c
 */
export function outboxLine(c) {
  if (!c.enabled) return t("accounts.emailOff");
  return t("accounts.emailCounts", { waiting: c.queued + c.sending, failed: c.failed, sent: c.sent });
}

async function main() {
  const me = await requireAccount();
  if (!me.is_admin) return say($("problem"), t("accounts.adminsOnly"), "error");
  const reload = async () => {
    /** @type {AccountDetail[]} */
    const accounts = await get("/accounts");
    $("accounts").replaceChildren(...accounts.map((a) => card(a, me, reload)));
  };
  $("copy").addEventListener("click", async () => {
    const link = $as("link", HTMLInputElement);
    try {
      await navigator.clipboard.writeText(link.value);
      $("copy-status").textContent = t("accounts.copied");
    } catch {
      link.select();
      $("copy-status").textContent = t("accounts.selectedPressCtrlC");
    }
  });
  try {
    await reload();
    await wireCreate(reload);
    $("outbox").textContent = outboxLine(await get("/admin/outbox"));
  } catch (error) {
    say($("problem"), message(error), "error");
  }
}

main();
