// @ts-check
/** The signed-in facilitator or admin, for the management pages; sends others to sign in. */

import { ApiError, get, post } from "./api.js";
import { t } from "./i18n.js";
import { $ } from "./ui.js";

/** @returns {Promise<import("./types.js").Account>} never resolves when redirecting to sign in */
export async function requireAccount() {
  try {
    /** @type {import("./types.js").Account} */
    const me = await get("/auth/me");
    $("me").textContent = me.is_admin ? t("topbar.admin", { name: me.display_name })
      : me.is_programme_lead ? t("topbar.lead", { name: me.display_name }) : me.display_name;
    $("signout").addEventListener("click", async () => {
      await post("/auth/logout").catch(() => null);
      location.assign("/signin");
    });
    return me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
      return new Promise(() => {});
    }
    throw error;
  }
}
