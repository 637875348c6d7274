// The one purge of the whole service: every table whose rows expire, in one list, deleted in small
// batches (no long lock on a busy table) by one instance at a time (a PostgreSQL advisory lock, a
// lease row on SQLite). Every instance runs it on a timer; `hk-idp purge` runs it on demand.
//
// To purge another table, add one line to PURGES: a table with its expiry rule (deleted in batches
// here), or a step of its own (`run`) for rows whose end must do more than a delete.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { endExpiredSessions } from '../oidc/backchannel-queue.ts';
import { CONSOLE_MAX_MS } from '../staff/sessions.ts';
import { letRequestsRun, type Db } from '../storage/db.ts';

const DAY = 24 * 3600_000;

// Every retention period of the service, here and nowhere else.
/** Finished outbox messages and back-channel notifications (no secret left, only who got what when). */
export const FINISHED_MESSAGE_RETENTION_MS = 30 * DAY;
/** Ended invitations (members' and staff's): kept a month so a late click says "expired", and for the operator. */
export const ENDED_INVITATION_RETENTION_MS = 30 * DAY;
/** Expired one-time codes: the flow that asked for one can still say "expired" rather than "unknown". */
export const EXPIRED_CODE_RETENTION_MS = DAY;

export type PurgeContext = { now: number; auditRetentionDays: number };

export type PurgeTarget = {
  /** Names the purge in logs and in the report. */
  name: string;
  table: string;
  /** The primary key column(s): a batch deletes the first `batchSize` expired keys. */
  key: string[];
  /** Narrows a query on `table` to the rows that may go. */
  expired(query: Knex.QueryBuilder, context: PurgeContext): Knex.QueryBuilder;
};

/** A purge that must do more than delete (e.g. end sessions and queue their logouts); returns rows handled. */
export type PurgeStep = { name: string; run(db: Db, context: PurgeContext): Promise<number> };

// In order: a step that ends rows with side effects goes before the plain delete of the same table.
export const PURGES: Array<PurgeTarget | PurgeStep> = [
  // An expired session is ended with its apps told (back-channel logout); the rest of oidc_store just goes.
  { name: 'expired-sessions', run: (db, { now }) => endExpiredSessions(db, now) },
  { name: 'oidc', table: 'oidc_store', key: ['model', 'id'], expired: (q, { now }) => q.where('expires_at', '<', now).whereNot({ model: 'Session' }) },
  { name: 'backchannel-logouts', table: 'backchannel_logouts', key: ['id'], expired: (q, { now }) => q.whereIn('status', ['sent', 'failed', 'expired']).andWhere('created_at', '<', now - FINISHED_MESSAGE_RETENTION_MS) },
  { name: 'outbox', table: 'outbox', key: ['id'], expired: (q, { now }) => q.whereIn('status', ['sent', 'failed', 'expired']).andWhere('created_at', '<', now - FINISHED_MESSAGE_RETENTION_MS) },
  { name: 'counters', table: 'counters', key: ['key'], expired: (q, { now }) => q.where('expires_at', '<', now) },
  { name: 'counter-slices', table: 'counter_slices', key: ['key', 'slice', 'shard'], expired: (q, { now }) => q.where('expires_at', '<', now) },
  { name: 'first-time-passwords', table: 'first_time_passwords', key: ['account_id'], expired: (q, { now }) => q.where('expires_at', '<', now) },
  { name: 'one-time-codes', table: 'one_time_codes', key: ['id'], expired: (q, { now }) => q.where('expires_at', '<', now - EXPIRED_CODE_RETENTION_MS) },
  { name: 'invitations', table: 'invitations', key: ['id'], expired: (q, { now }) => q.where('expires_at', '<', now - ENDED_INVITATION_RETENTION_MS) },
  { name: 'staff-invitations', table: 'staff_invitations', key: ['id'], expired: (q, { now }) => q.where('expires_at', '<', now - ENDED_INVITATION_RETENTION_MS) },
  { name: 'console-sessions', table: 'console_sessions', key: ['id_hash'], expired: (q, { now }) => q.where('created_at', '<', now - CONSOLE_MAX_MS - DAY) },
  // Days are 'YYYY-MM-DD' (Oslo); anything two days back is over everywhere.
  { name: 'console-send-counts', table: 'console_send_counts', key: ['staff_id', 'day'], expired: (q, { now }) => q.where('day', '<', new Date(now - 2 * DAY).toISOString().slice(0, 10)) },
  { name: 'audit-log', table: 'audit_log', key: ['id'], expired: (q, { now, auditRetentionDays }) => q.where('at', '<', now - auditRetentionDays * DAY) },
];

/** The entries of PURGES with these names (a test purges only what it checks, with the service's own rules). */
export function purgesNamed(...names: string[]): Array<PurgeTarget | PurgeStep> {
  const unknown = names.filter((name) => !PURGES.some((target) => target.name === name));
  if (unknown.length) throw new Error(`No purge named ${unknown.join(', ')}`);
  return PURGES.filter((target) => names.includes(target.name));
}

export type PurgeOptions = PurgeContext & {
  batchSize?: number;
  targets?: Array<PurgeTarget | PurgeStep>;
  /** Called after each batch (progress in logs; tests hold a purge here). */
  onBatch?: (name: string, deleted: number) => void | Promise<void>;
};

export type PurgeReport = { ran: false } | { ran: true; purged: Record<string, number> };

const LEASE_NAME = 'purge';
/** A lease outlives any purge; a crashed holder's lease lapses after this. */
const LEASE_MS = 15 * 60_000;

async function deleteBatch(db: Db, target: PurgeTarget, context: PurgeContext, batchSize: number): Promise<number> {
  const keys = target.expired(db(target.table).select(target.key), context).limit(batchSize);
  const column = target.key.length === 1 ? target.key[0]! : target.key;
  return db(target.table).whereIn(column as string, keys).delete();
}

async function purgeAll(db: Db, options: PurgeOptions): Promise<Record<string, number>> {
  const batchSize = options.batchSize ?? 1000;
  const purged: Record<string, number> = {};
  for (const target of options.targets ?? PURGES) {
    purged[target.name] = 0;
    if ('run' in target) {
      purged[target.name] = await target.run(db, options);
      continue;
    }
    for (;;) {
      const deleted = await deleteBatch(db, target, options, batchSize);
      purged[target.name] += deleted;
      if (deleted) await options.onBatch?.(target.name, deleted);
      if (deleted < batchSize) break;
      await letRequestsRun();
    }
  }
  return purged;
}

/** PostgreSQL: a transaction-scoped advisory lock, per schema, held by an otherwise idle transaction. */
async function withAdvisoryLock<T>(db: Db, work: () => Promise<T>): Promise<{ won: boolean; result?: T }> {
  const trx = await db.transaction();
  try {
    const { rows } = await trx.raw("select pg_try_advisory_xact_lock(hashtext('hk-idp purge ' || current_schema())) as won");
    if (!rows[0].won) return { won: false };
    return { won: true, result: await work() };
  } finally {
    await trx.commit();
  }
}

/** SQLite (and any database without advisory locks): a lease row, taken by one conditional update. */
async function withLease<T>(db: Db, now: number, work: () => Promise<T>): Promise<{ won: boolean; result?: T }> {
  const holder = randomUUID();
  await db('maintenance_leases').insert({ name: LEASE_NAME, holder: null, expires_at: 0 }).onConflict('name').ignore();
  const taken = await db('maintenance_leases')
    .where({ name: LEASE_NAME })
    .andWhere('expires_at', '<', now)
    .update({ holder, expires_at: now + LEASE_MS });
  if (!taken) return { won: false };
  try {
    return { won: true, result: await work() };
  } finally {
    await db('maintenance_leases').where({ name: LEASE_NAME, holder }).update({ holder: null, expires_at: 0 });
  }
}

/** Purges every expired row, unless another instance is purging right now (then `ran: false`). */
export async function runPurge(db: Db, options: PurgeOptions): Promise<PurgeReport> {
  const work = () => purgeAll(db, options);
  const { won, result } = db.client.config.client === 'pg' ? await withAdvisoryLock(db, work) : await withLease(db, options.now, work);
  return won ? { ran: true, purged: result! } : { ran: false };
}
