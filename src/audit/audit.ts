// The audit log of security events. Never holds a secret: callers pass facts, not credentials.
// Every event is named and typed in AuditEvents below; SECURITY.md's list of them is generated from
// it (scripts/audit-events.ts), so the comment on each says when it is written.
import type { Channel, FailureKind } from '../delivery/delivery.ts';
import type { BusinessCodeCheck, BusinessCodePurpose, NotSentReason } from '../accounts/business-activation.ts';
import type { OrderReason } from '../accounts/first-time-passwords.ts';
import type { EndReason } from '../oidc/backchannel-queue.ts';
import type { SecondFactor } from '../staff/sign-in.ts';
import type { StaffRole } from '../staff/staff.ts';
import type { Db } from '../storage/db.ts';
import { changeRows } from '../storage/direct.ts';
import type { AuditLogRow } from '../storage/tables.ts';

type SignInDetail = { kind: 'member'; method?: 'first_time_password' } | { kind: 'business'; via?: 'one_time_code' };
type ImportDetail = { added: number; updated: number; unchanged: number; rejected: number };
type MessageFacts = { outboxId: number; channel: Channel; kind: string; to: string };
type NotificationFacts = { notificationId: number; reason: EndReason };

/** Every audit event by name, with its `detail` (`undefined`: none). */
export type AuditEvents = {
  /** A member or business user signed in: password, first login after a first-time password (`method`), or business code and new password (`via`). */
  'sign_in.succeeded': SignInDetail;
  /** A sign-in with a wrong identifier or secret, or by an account that may not sign in. */
  'sign_in.failed': SignInDetail;
  /** A sign-in refused because the account, identifier or IP is locked for too many failures. */
  'sign_in.throttled': SignInDetail;
  /** The outbox worker fulfilled a member's order for a first-time password: sent, or why not. */
  'first_time_password.ordered': { channel: Channel; sent: boolean; reason?: OrderReason };
  /** A caseworker (console or CLI) sent a member a first-time password by SMS, or why not. */
  'caseworker.first_time_password_sent': { channel: 'sms'; sent: boolean; reason?: Exclude<OrderReason, 'contact_mismatch'> };
  /** A member signed in with a first-time password (the choice of username and password follows). */
  'first_time_password.accepted': undefined;
  /** A member's username and password were wiped, when a first-time password was ordered or used (`WIPE_CREDENTIALS`). */
  'credentials.wiped': { moment: 'on-order' | 'on-use' };
  /** A member chose a username on first login. */
  'username.set': { username: string };
  /** A member chose a password on first login. */
  'password.set': undefined;
  /** A try at choosing username and password refused for too many tries, per first-time password or per IP. */
  'credentials.limited': { per: 'flow' | 'ip' };
  /** The outbox worker fulfilled a business user's order for a one-time code: sent, or why not. */
  'code.requested': { purpose: BusinessCodePurpose; channel: Channel; sent: boolean; reason?: NotSentReason };
  /** A one-time code typed on the business password page was wrong or no longer usable. */
  'code.failed': { purpose: BusinessCodePurpose; reason: 'wrong' | Extract<BusinessCodeCheck, { outcome: 'dead' }>['reason'] };
  /** A one-time code typed on the business password page was right (and is used up). */
  'code.verified': { purpose: BusinessCodePurpose };
  /** A business user set their first password, with a one-time code or an invitation link. */
  'business.activated': { via: 'invitation' | `${Channel}_code` };
  /** A business user set a new password with a one-time code. */
  'business.password_reset': { via: `${Channel}_code` };
  /** An invitation link was refused: unknown, used, expired, or its user no longer invited. */
  'invitation.refused': undefined;
  /** An admin (console or CLI) added a business user. */
  'business.added': undefined;
  /** An admin (console or CLI) changed a business user's details. */
  'business.updated': undefined;
  /** An admin (console or CLI) imported business users from a CSV file (not a dry run). */
  'business.imported': ImportDetail;
  /** An admin (console or CLI) e-mailed a business user an invitation link. */
  'business.invited': { expiresAt: number };
  /** An admin (console or CLI) disabled a business user (their sessions and tokens end). */
  'business.disabled': undefined;
  /** An admin (console or CLI) enabled a disabled business user. */
  'business.enabled': undefined;
  /** An operator imported members from a CSV file with the CLI (not a dry run). */
  'members.imported': ImportDetail;
  /** An operator added a member with the CLI. */
  'member.added': undefined;
  /** An operator changed a member's details with the CLI. */
  'member.updated': undefined;
  /** An admin (console or CLI) registered a client app. */
  'client.added': undefined;
  /** An admin (console or CLI) changed a client app's registration. */
  'client.updated': { fields: string[] };
  /** An admin (console or CLI) removed a client app. */
  'client.removed': undefined;
  /** An admin (console or CLI) replaced a client app's secret. */
  'client.secret_rotated': undefined;
  /** An operator ran the first step of a signing key rotation (next keys published). */
  'keys.added': undefined;
  /** An operator ran the second step of a signing key rotation (the next keys sign). */
  'keys.promoted': undefined;
  /** An admin (console or CLI) added a staff member. */
  'staff.added': { role: StaffRole };
  /** An admin (console or CLI) e-mailed a staff member an enrolment link. */
  'staff.invited': { expiresAt: number };
  /** An admin changed a staff member's role in the console. */
  'staff.role_changed': { role: StaffRole };
  /** An admin (console or CLI) disabled a staff member (their sessions end). */
  'staff.disabled': undefined;
  /** An admin (console or CLI) enabled a disabled staff member. */
  'staff.enabled': undefined;
  /** An admin (console or CLI) reset a staff member's password, TOTP and recovery codes. */
  'staff.reset': undefined;
  /** A staff member confirmed their enrolment with a TOTP code. */
  'staff.enrolled': undefined;
  /** An enrolment code was typed for a link that is no longer usable (or before a password was chosen). */
  'staff.enrolment_refused': undefined;
  /** A staff sign-in step (password or code) failed. */
  'staff.sign_in.failed': { step: 'password' | 'code' };
  /** A staff sign-in step (password or code) refused for too many failures. */
  'staff.sign_in.throttled': { step: 'password' | 'code' };
  /** A staff member's password was right; the code is asked for next. */
  'staff.sign_in.password_accepted': undefined;
  /** A staff member signed in with password and TOTP or recovery code. */
  'staff.sign_in.succeeded': { factor: SecondFactor };
  /** The console refused to open a session: the sign-in failed, lacked a factor, or the staff member may not sign in. */
  'console.session_refused': { reason: 'callback' | 'amr' | 'staff' };
  /** A console session began. */
  'console.session_started': undefined;
  /** A staff member signed out of the console. */
  'console.signed_out': undefined;
  /** A staff member opened a console page. */
  'console.page_viewed': { path: string };
  /** A caseworker opened an admin page or action (refused, 403). */
  'console.forbidden': { path: string };
  /** A staff member searched for members (the words searched are not kept). */
  'console.member_search': { results: number };
  /** A staff member looked at a member. */
  'console.member_viewed': undefined;
  /** A caseworker's first-time password was refused: today's cap per caseworker is used up. */
  'console.send_capped': undefined;
  /** A caseworker signed a member out everywhere (each session ended is its own `session.ended`). */
  'console.member_signed_out': { sessions: number };
  /** An admin looked at the audit log. */
  'console.audit_viewed': undefined;
  /** A session ended: logout at an app or on hk-idp's page, credentials wiped or reset, account disabled, a caseworker's sign-out, expiry. */
  'session.ended': { reason: EndReason; sessionUid: string; clients: string[]; notified: number } | { reason: 'logout'; everywhere: boolean };
  /** A back-channel logout notification was given up: it could not be delivered in time. */
  'backchannel_logout.expired': NotificationFacts & { attempts: number };
  /** A back-channel logout notification was delivered. */
  'backchannel_logout.sent': NotificationFacts & { attempts: number };
  /** A back-channel logout notification failed for now and will be tried again. */
  'backchannel_logout.attempt': NotificationFacts & { attempt: number; outcome: 'temporary'; error: string; retryAt: number };
  /** A back-channel logout notification failed for good. */
  'backchannel_logout.failed': NotificationFacts & { attempts: number; error: string };
  /** An SMS or e-mail was given up: it could not be delivered in time. */
  'message.expired': MessageFacts & { attempts: number };
  /** An attempt at delivering an SMS or e-mail, and its outcome. */
  'message.attempt': MessageFacts & { attempt: number; outcome: 'sent' | FailureKind; reason?: string; retryAt?: number };
  /** An SMS or e-mail was delivered. */
  'message.sent': MessageFacts & { attempts: number };
  /** An SMS or e-mail was refused by the provider for good. */
  'message.refused': MessageFacts & { attempts: number; reason: string };
  /** An SMS or e-mail failed for good. */
  'message.failed': MessageFacts & { attempts: number; reason: string };
  /** The SMS budget is spent: SMS stops (once an hour across instances). */
  'alert.sms_budget_spent': { message: string };
  /** An operator purged expired rows with the CLI; the count deleted from each table. */
  'maintenance.purged': Record<string, number>;
};

export type AuditEventName = keyof AuditEvents;

/** Who acted and from where, as an audited core function is told it. */
export type AuditContext = {
  clientId?: string | null;
  /** Who acted on someone else's behalf (a caseworker, an admin, the CLI). */
  actor?: string | null;
  ip?: string | null;
  userAgent?: string | null;
};

/** One audit event: its name, whose account, the context and the event's own detail. */
export type AuditEvent = {
  [E in AuditEventName]: { event: E; accountId?: string | null } & AuditContext & (AuditEvents[E] extends undefined ? { detail?: undefined } : { detail: AuditEvents[E] });
}[AuditEventName];

/** A row as read back: any name (rows outlive renames) and the detail as stored. */
export type AuditRow = { id: number; at: number; event: string; accountId: string | null; clientId: string | null; actor: string | null; ip: string | null; userAgent: string | null; detail: Record<string, unknown> };

// Control characters are stored escaped so a crafted value cannot forge a line when the log is printed.
const clean = (value: string | null | undefined, max: number) =>
  value == null ? null : JSON.stringify(value).slice(1, -1).slice(0, max);

type AuditListener = (entry: AuditEvent) => void;
// Keyed by the connection's configuration, which a transaction shares with the database it runs on.
const listeners = new WeakMap<object, AuditListener[]>();
const keyOf = (db: Db): object => db.client.config;

/** Tells `listener` of every event written through `db` or its transactions (one instance's metrics count them in process). */
export function onAudit(db: Db, listener: AuditListener): void {
  listeners.set(keyOf(db), [...(listeners.get(keyOf(db)) ?? []), listener]);
}

// Every sign-in writes one: fixed SQL past knex's query builder and runner (src/storage/direct.ts).
const INSERT = 'insert into audit_log (at, event, account_id, client_id, actor, ip, user_agent, detail) values (?, ?, ?, ?, ?, ?, ?, ?)';

export async function audit(db: Db, entry: AuditEvent, now: number = Date.now()): Promise<void> {
  await changeRows(db, INSERT, [
    now,
    entry.event,
    entry.accountId ?? null,
    clean(entry.clientId, 64),
    clean(entry.actor, 200),
    clean(entry.ip, 64),
    clean(entry.userAgent, 300),
    entry.detail ? JSON.stringify(entry.detail) : null,
  ]);
  for (const listener of listeners.get(keyOf(db)) ?? []) listener(entry);
}

export async function latestAudit(db: Db, limit = 50, filter: { accountId?: string; event?: string } = {}): Promise<AuditRow[]> {
  const query = db('audit_log').orderBy('id', 'desc').limit(limit);
  if (filter.accountId) query.where({ account_id: filter.accountId });
  if (filter.event) query.where({ event: filter.event });
  const rows = await query;
  return rows.map(toAuditRow);
}

/** An `audit_log` row as an AuditRow. */
export function toAuditRow(row: AuditLogRow): AuditRow {
  return {
    id: Number(row.id),
    at: Number(row.at),
    event: row.event,
    accountId: row.account_id,
    clientId: row.client_id,
    actor: row.actor,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: row.detail ? JSON.parse(row.detail) : {},
  };
}
