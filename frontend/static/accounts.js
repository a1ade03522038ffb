// @ts-check
/**
 * Accounts, `/accounts` (admins only): create an account (with a one-time link to set a
 * password, or for single sign-on only), rename it, make it an admin or not, disable and enable
 * it, reset its password, delete it. A new link is shown once, to copy: Rounds sends no email.
 */

import { ready } from "./i18n.js";
import { requireAccount } from "./account.js";
import { del, get, patch, post } from "./api.js";
import { day } from "./format.js";
import { $, $as, busy, h, message, say } from "./ui.js";

await ready("common", "pages", "manage");

/** @typedef {import("./account-types.js").AccountDetail} AccountDetail */

/** How an account signs in, in words. @param {AccountDetail} a */
export function signsIn(a) {
  if (a.has_password) return "Signs in with a password.";
  if (a.password_link_expires_at) {
    return `Has not set a password yet: their link works until ${day(a.password_link_expires_at)}.`;
  }
  return "Signs in with single sign-on only.";
}

/** Show a new set-password link, once. @param {import("./account-types.js").AccountCreated} a */
function showLink(a) {
  if (!a.password_link) return;
  $("new-link-for").textContent = `For ${a.display_name} (${a.email}).`;
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
    "aria-controls": id("form") }, ...named("Edit"));
  const reset = h("button", { type: "button", className: "secondary" }, "Reset the password",
    h("span", { className: "visually-hidden" }, ` of ${name}`));
  const toggle = a.disabled_at
    ? h("button", { type: "button", className: "secondary" }, ...named("Enable"))
    : h("button", { type: "button", className: "danger" }, ...named("Disable"));
  const remove = h("button", { type: "button", className: "danger" }, ...named("Delete"));
  const nameInput = h("input", { id: id("name"), value: name, maxLength: 80, required: true });
  const admin = h("input", { id: id("admin"), type: "checkbox", checked: a.is_admin });
  const save = h("button", { type: "submit" }, ...named("Save"));
  const form = h("form", { id: id("form"), hidden: true, noValidate: true },
    h("label", { for: id("name") }, "Name"), nameInput,
    h("label", { className: "check" }, admin, h("span", {}, "Administrator")),
    h("div", { className: "actions" }, save));

  edit.addEventListener("click", () => {
    form.hidden = !form.hidden;
    edit.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) nameInput.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!nameInput.value.trim()) return say(out, "Give the account a name.", "error");
    void busy(save, out, async () => {
      await patch(`/accounts/${a.id}`, { display_name: nameInput.value.trim(), is_admin: admin.checked });
      say(out, `Saved ${nameInput.value.trim()}.`, "ok");
      await reload();
    });
  });
  reset.addEventListener("click", () => busy(reset, out, async () => {
    if (!confirm(`Reset ${name}'s password? It stops working now, they are signed out everywhere, `
      + `and you get a new one-time link to send them.${you ? " You will be signed out." : ""}`)) return;
    showLink(await post(`/accounts/${a.id}/password-link`));
    say(out, `${name}'s password is reset. Send them the new link.`, "ok");
    await (you ? Promise.resolve() : reload());
  }));
  toggle.addEventListener("click", () => busy(toggle, out, async () => {
    if (a.disabled_at) {
      await post(`/accounts/${a.id}/enable`);
      say(out, `${name} can sign in again.`, "ok");
    } else {
      if (!confirm(`Disable ${name}'s account? They are signed out at once and cannot sign in `
        + `until it is enabled again.${you ? " You will be signed out." : ""}`)) return;
      await post(`/accounts/${a.id}/disable`);
      if (you) return location.assign("/signin");
      say(out, `${name}'s account is disabled.`, "ok");
    }
    await reload();
  }));

  remove.addEventListener("click", () => busy(remove, out, async () => {
    if (!confirm(`Delete ${name}'s account? They cannot sign in again, their places as a `
      + "facilitator end now, and the account cannot be restored.")) return;
    await del(`/accounts/${a.id}`);
    say(out, `${name}'s account is deleted.`, "ok");
    await reload();
  }));

  return h("li", { className: "card", "data-account": a.id },
    h("h2", {}, name, you ? " (you) " : " ", a.is_admin ? tag("Administrator") : "", " ",
      a.disabled_at ? tag("Disabled", "ended") : ""),
    h("p", { className: "muted" }, a.email),
    h("p", {}, signsIn(a), a.disabled_at ? ` Disabled since ${day(a.disabled_at)}.` : ""),
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
      say(out, bad === email ? "Enter their email address." : "Enter their name.", "error");
      return bad.focus();
    }
    const how = /** @type {HTMLInputElement} */ (form.querySelector("input[name=signin]:checked")).value;
    void busy(button, out, async () => {
      /** @type {import("./account-types.js").AccountCreated} */
      const created = await post("/accounts", { email: email.value.trim(), display_name: name.value.trim(),
        is_admin: $as("a-admin", HTMLInputElement).checked, password_link: how === "link" });
      say(out, created.password_link ? `Created ${created.display_name}'s account.`
        : `Created ${created.display_name}'s account: they sign in with single sign-on.`, "ok");
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
  if (!c.enabled) return "Email: off (no SMTP server is set), so links are copied by hand.";
  return `Email: ${c.queued + c.sending} waiting to be sent, ${c.failed} failed, ` +
    `${c.sent} sent recently.`;
}

async function main() {
  const me = await requireAccount();
  if (!me.is_admin) return say($("problem"), "Only an administrator can manage accounts.", "error");
  const reload = async () => {
    /** @type {AccountDetail[]} */
    const accounts = await get("/accounts");
    $("accounts").replaceChildren(...accounts.map((a) => card(a, me, reload)));
  };
  $("copy").addEventListener("click", async () => {
    const link = $as("link", HTMLInputElement);
    try {
      await navigator.clipboard.writeText(link.value);
      $("copy-status").textContent = "Copied.";
    } catch {
      link.select();
      $("copy-status").textContent = "Selected: press Ctrl+C (or Cmd+C) to copy.";
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
