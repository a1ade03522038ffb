// @ts-check
/**
 * What this browser remembers for the doctor, apart from the server's HttpOnly device cookie:
 * the display name and chosen devices (localStorage, until "forget this device"), and which
 * ground rules were acknowledged (sessionStorage: this tab only, so every new join asks again),
 * and the language (kept even by "forget this device"). No DOM.
 */

const NAME = "rounds.name";
const DEVICES = "rounds.devices";
const ACK = "rounds.ack.";
export const LANGUAGE = "rounds.language";

/** @typedef {{audioInput?: string, videoInput?: string, audioOutput?: string, audioOnly?: boolean}} DeviceChoice */

/** @param {Storage} storage @param {string} key */
function read(storage, key) {
  try { return storage.getItem(key); } catch { return null; }
}

/** @param {Storage} storage @param {string} key @param {string} value */
function write(storage, key, value) {
  try { storage.setItem(key, value); } catch { /* private mode: nothing is remembered */ }
}

export const displayName = {
  get: () => read(localStorage, NAME) || "",
  set: (/** @type {string} */ name) => write(localStorage, NAME, name.trim()),
};

export const devices = {
  /** @returns {DeviceChoice} */
  get() {
    try { return JSON.parse(read(localStorage, DEVICES) || "{}"); } catch { return {}; }
  },
  /** @param {DeviceChoice} choice */
  set(choice) { write(localStorage, DEVICES, JSON.stringify({ ...devices.get(), ...choice })); },
};

export const language = {
  get: () => read(localStorage, LANGUAGE),
  set: (/** @type {string} */ locale) => write(localStorage, LANGUAGE, locale),
};

export const ack = {
  /** The ground-rules version acknowledged for a group in this tab, or 0. @param {string} groupId */
  get: (groupId) => Number(read(sessionStorage, ACK + groupId) || 0),
  /** @param {string} groupId @param {number} version */
  set: (groupId, version) => write(sessionStorage, ACK + groupId, String(version)),
};

const GRANT = "rounds.grant.";

export const grants = {
  /** Keep a join grant for the room page (this tab only). @param {string} sessionId @param {object} grant */
  set: (sessionId, grant) => write(sessionStorage, GRANT + sessionId, JSON.stringify(grant)),
  /**
   * Take the kept grant once, if it has at least 15 seconds left.
   * @param {string} sessionId @returns {import("./types.js").JoinGrant | null}
   */
  take(sessionId) {
    const raw = read(sessionStorage, GRANT + sessionId);
    try { sessionStorage.removeItem(GRANT + sessionId); } catch { /* nothing kept */ }
    try {
      const grant = raw ? JSON.parse(raw) : null;
      return grant && new Date(grant.expires_at).getTime() - Date.now() > 15000 ? grant : null;
    } catch { return null; }
  },
};
