// @ts-check
/**
 * The REST API of Rounds, as plain fetch calls. No DOM: only `fetch` and the cookie string.
 *
 * Every write carries `X-CSRF-Token` equal to the `rounds_csrf` cookie (double submit). Every
 * failure becomes an `ApiError` with the server's stable `code` and readable `detail`; a network
 * failure has the code `network`.
 */

export const API = "/api/v1";

/** A refused or failed request: `code` is stable (e.g. `invite_expired`), `detail` is prose. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} detail */
  constructor(status, code, detail) {
    super(detail || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail || code.replace(/_/g, " ");
  }
}

/** The value of a cookie readable by the page (only `rounds_csrf` is). */
export function cookie(/** @type {string} */ name) {
  const jar = typeof document === "undefined" ? "" : document.cookie;
  for (const part of jar.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/**
 * Call the API. Resolves with the parsed JSON body (or null for 204); rejects with ApiError.
 * @param {"GET" | "POST" | "PUT" | "PATCH" | "DELETE"} method
 * @param {string} path below /api/v1, e.g. "/groups"
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const csrf = cookie("rounds_csrf");
  if (method !== "GET" && csrf) headers["x-csrf-token"] = csrf;
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "");  // the words: error.network (ui.js message)
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const code = data && typeof data.error === "string" ? data.error : `http_${response.status}`;
    const detail = data && typeof data.detail === "string" ? data.detail : response.statusText;
    throw new ApiError(response.status, code, detail);
  }
  return data;
}

export const get = (/** @type {string} */ path) => request("GET", path);
export const post = (/** @type {string} */ path, /** @type {unknown} */ body = {}) =>
  request("POST", path, body);
export const patch = (/** @type {string} */ path, /** @type {unknown} */ body) =>
  request("PATCH", path, body);
export const put = (/** @type {string} */ path, /** @type {unknown} */ body) =>
  request("PUT", path, body);
export const del = (/** @type {string} */ path) => request("DELETE", path);
