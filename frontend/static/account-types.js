// @ts-check
/**
 * What the admin's account routes give (app/accounts/schemas.py). Types only: pages import them
 * in JSDoc (`import("./account-types.js").AccountDetail`), so no page loads this file.
 *
 * @typedef {import("./types.js").Account & {has_password: boolean, disabled_at: string | null,
 *   password_link_expires_at: string | null}} AccountDetail
 * @typedef {AccountDetail & {password_link: string | null}} AccountCreated
 * @typedef {{email: string, display_name: string, expires_at: string}} PasswordLinkPreview
 */

export {};
