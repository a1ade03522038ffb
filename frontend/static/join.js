// @ts-check
/** The invite page: the token is in the link's #fragment, so it never reaches a server log. */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

const REASONS = {
  invite_expired: "This invite has expired. Ask your facilitator for a new link.",
  invite_revoked: "This invite has been withdrawn. Ask your facilitator for a new link.",
  invite_used: "This invite has already been used. Ask your facilitator for a new link.",
  group_archived: "This group has closed.",
};

/** @param {string} path @param {object} body */
async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { ok: response.ok, data: await response.json().catch(() => ({})) };
}

async function main() {
  const token = decodeURIComponent(location.hash.slice(1));
  if (!token) {
    $("title").textContent = "This link is incomplete";
    $("status").textContent = "Open the whole invite link your facilitator sent you.";
    return;
  }
  const { ok, data } = await post("/api/v1/invites/resolve", { token });
  if (!ok) {
    $("title").textContent = "This link does not work";
    $("status").textContent = data.detail || "It is not a Rounds invite.";
    return;
  }
  $("title").textContent = data.group_name;
  if (!data.valid) {
    $("status").textContent = REASONS[/** @type {keyof REASONS} */ (data.reason)] || "This invite no longer works.";
    return;
  }
  $("status").textContent = "This invite is valid.";
  $("rules").textContent = data.ground_rules;
  const next = data.next_session;
  $("next").textContent = next
    ? `Next session: ${new Date(next.scheduled_start).toLocaleString()}`
    : "No session is scheduled yet.";
  $("details").hidden = false;
  $("accept").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = /** @type {HTMLInputElement} */ ($("name")).value;
    const result = await post("/api/v1/invites/accept", { token, display_name: name });
    $("status").textContent = result.ok
      ? `You have joined ${result.data.group_name}. This device will remember you.`
      : result.data.detail || "Something went wrong; nothing was saved.";
    if (result.ok) history.replaceState(null, "", "/join");
  });
}

main();
