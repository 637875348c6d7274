// The audit log of security events. Never holds a secret: callers pass facts, not credentials.
import type { Db } from '../storage/db.ts';
import type { AuditLogRow } from '../storage/tables.ts';

export type AuditEvent = {
  event: string;
  accountId?: string | null;
  clientId?: string | null;
  /** Who acted on someone else's behalf (a caseworker, an admin, the CLI). */
  actor?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
};

export type AuditRow = Required<Omit<AuditEvent, 'detail'>> & { id: number; at: number; detail: Record<string, unknown> };

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

export async function audit(db: Db, entry: AuditEvent, now: number = Date.now()): Promise<void> {
  await db('audit_log').insert({
    at: now,
    event: entry.event,
    account_id: entry.accountId ?? null,
    client_id: clean(entry.clientId, 64),
    actor: clean(entry.actor, 200),
    ip: clean(entry.ip, 64),
    user_agent: clean(entry.userAgent, 300),
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
  });
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
