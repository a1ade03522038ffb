// @ts-check
/**
 * What the REST API gives and takes, as JSDoc types (each app/ domain's schemas.py). Types
 * only: pages import them in JSDoc (`import("./types.js").Group`), so no page loads this file.
 *
 * @typedef {"facilitator" | "co-facilitator" | "member"} Role
 * @typedef {"scheduled" | "open" | "live" | "ended"} SessionStatus
 *
 * @typedef {{id: string, name: string, description: string, cohort: string, size_limit: number,
 *   ground_rules: string, ground_rules_version: number, timezone: string,
 *   archived_at: string | null, created_at: string}} Group
 * @typedef {{id: string, group_id: string, title: string, scheduled_start: string,
 *   duration_minutes: number, status: SessionStatus, started_at: string | null,
 *   ended_at: string | null}} Session
 * @typedef {{id: string, title: string, scheduled_start: string, duration_minutes: number,
 *   status: SessionStatus}} SessionBrief
 * @typedef {{id: string, group_id: string, display_name: string, email: string | null,
 *   role: Role, started_at: string, ended_at: string | null, has_account: boolean}} Member
 * @typedef {{id: string, group_id: string, role: Role, kind: "personal" | "group", label: string,
 *   max_uses: number, uses: number, expires_at: string, revoked_at: string | null,
 *   created_at: string, status: "active" | "expired" | "used" | "revoked"}} Invite
 * @typedef {Invite & {link: string}} InviteCreated
 * @typedef {{valid: boolean, reason: string | null, group_name: string | null,
 *   group_description: string | null, ground_rules: string | null,
 *   ground_rules_version: number | null, role: Role | null, next_session: SessionBrief | null,
 *   expires_at: string | null}} InvitePreview
 * @typedef {{member_id: string, group_id: string, group_name: string, display_name: string,
 *   role: Role}} Joined
 * @typedef {{member_id: string, display_name: string, role: Role, group: Group,
 *   next_session: Session | null}} Membership
 * @typedef {{id: string, email: string, display_name: string, is_admin: boolean,
 *   is_programme_lead: boolean, created_at: string}} Account
 * @typedef {{urls: string[], username?: string | null, credential?: string | null}} IceServer
 * @typedef {{token: string, expires_at: string, signalling_path: string,
 *   ice_servers: IceServer[], participant_id: string, role: Role}} JoinGrant
 */

export {};
