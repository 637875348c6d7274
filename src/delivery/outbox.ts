// The durable outbox. A flow enqueues a message in the same transaction as the secret it carries and
// answers at once; a worker in every instance claims due messages (one instance per message) and
// hands them to the connector. Sending never happens inside a person's request.
//
// A row's life: pending → sending (claimed, with a lease) → sent | failed | expired, or back to
// pending with a later next_attempt_at after a temporary failure. A row left in 'sending' by a killed
// process is claimed again once its lease has run out, so every message is sent at least once, and
// never after expires_at. The params (which may hold the secret) are emptied in every final state.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { audit } from '../audit/audit.ts';
import type { Db } from '../storage/db.ts';
import type { OutboxRow } from '../storage/tables.ts';
import { DeliveryError } from '../errors.ts';
import type { Channel, Connector, FailureKind, MessageRequest } from './delivery.ts';
import { processDueOrders, releaseOrders, type OrderHandler, type OrderKind } from './orders.ts';

export type QueuedMessage = MessageRequest & {
  /** When the secret inside stops being valid; the message is never delivered after it. */
  expiresAt: number;
  accountId?: string | null;
};

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'expired';

/** A claim older than this is taken to belong to a dead process. Far above any connector's own timeout. */
export const LEASE_MS = 5 * 60_000;
const BATCH = 10;

/** Back-off after the n-th failed attempt: 5 s, 10 s, 20 s, ... at most 10 minutes. */
export const retryDelay = (attempt: number): number => Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 10 * 60_000);

/** One insert: cheap enough for a person's request; call it inside the transaction that stores the secret. */
export async function enqueue(db: Db, message: QueuedMessage, now: number): Promise<void> {
  await db('outbox').insert({
    channel: message.channel,
    recipient: message.to,
    kind: message.kind,
    language: message.language,
    params: JSON.stringify(message.params),
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    expires_at: message.expiresAt,
    created_at: now,
    account_id: message.accountId ?? null,
  });
}

/** Due: pending and its time has come (or its secret expired, to be closed), or 'sending' with a lapsed lease. */
function due(query: Knex.QueryBuilder, now: number): Knex.QueryBuilder {
  return query.where((q) =>
    q
      .where((p) => p.where('status', 'pending').andWhere((t) => t.where('next_attempt_at', '<=', now).orWhere('expires_at', '<=', now)))
      .orWhere((s) => s.where('status', 'sending').andWhere('claimed_at', '<=', now - LEASE_MS)),
  );
}

/** A recipient as the audit log shows it: enough to recognise, not a copy of the contact register. */
export function maskRecipient(channel: Channel, to: string): string {
  if (channel === 'sms') return to.length > 6 ? `${to.slice(0, 3)}${'*'.repeat(to.length - 6)}${to.slice(-3)}` : '***';
  const at = to.lastIndexOf('@');
  return at > 0 ? `${to[0]}***${to.slice(at)}` : '***';
}

/** An error text may echo what was sent; no parameter value (the secret) survives into a log or audit row. */
function scrub(reason: string, params: Record<string, string>): string {
  let out = reason;
  for (const value of Object.values(params)) if (value.length >= 4) out = out.split(value).join('[redacted]');
  return out.replace(/\s+/g, ' ').slice(0, 300);
}

function classify(error: unknown): { failure: FailureKind; reason: string } {
  if (error instanceof DeliveryError) return { failure: error.failure, reason: error.message };
  const e = error as { name?: string; message?: string };
  return { failure: 'temporary', reason: `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}` };
}

export type OutboxWorker = {
  /**
   * The worker's one entry point: fulfils every due order (see orders.ts), then delivers every
   * message that is due now; resolves with the number delivered (tests call it instead of waiting).
   */
  deliverDue(): Promise<number>;
  start(intervalMs: number): void;
  /**
   * Stops claiming (messages and orders); waits up to `waitMs` for the sends under way, then hands
   * back whatever this instance still holds (a hung send, an order) so another instance takes it at
   * once, not after the lease.
   */
  stop(options?: { waitMs?: number }): Promise<void>;
};

export function createOutboxWorker(deps: {
  db: Db;
  connector: Connector;
  now: () => number;
  log: (message: string, error?: unknown) => void;
  /** How each kind of order is fulfilled; orders are fulfilled before messages are delivered. */
  orders?: Record<OrderKind, OrderHandler>;
}): OutboxWorker {
  const { db, connector, now, log } = deps;

  /** Tries one claimed message: true when delivered by this call, false when tried or closed. */
  async function deliverOne(claim: Claimed<OutboxRow>): Promise<boolean> {
    const { id, row, attempt } = claim;
    const facts = { outboxId: id, channel: row.channel, kind: row.kind, to: maskRecipient(row.channel, row.recipient) };
    const by = { accountId: row.account_id, actor: 'outbox' };
    // Every final state forgets the params.
    const finish = (status: OutboxStatus, fields: Record<string, unknown> = {}) => claim.finish(status, { params: null, ...fields });

    if (Number(row.expires_at) <= now()) {
      // Not an attempt: the claim is handed back as it was counted.
      if (await finish('expired', { attempts: attempt - 1 })) await audit(db, { event: 'message.expired', ...by, detail: { ...facts, attempts: attempt - 1 } }, now());
      return false;
    }

    const params = (row.params == null ? null : JSON.parse(row.params)) as Record<string, string> | null;
    let outcome: { failure: FailureKind; reason: string } | undefined;
    if (!params) {
      outcome = { failure: 'permanent', reason: 'message content missing' };
    } else {
      try {
        await connector.send({ channel: row.channel, to: row.recipient, kind: row.kind, language: row.language, params });
      } catch (error) {
        outcome = classify(error);
        outcome.reason = scrub(outcome.reason, params);
      }
    }

    if (!outcome) {
      const done = await finish('sent', { sent_at: now(), last_error: null });
      await audit(db, { event: 'message.attempt', ...by, detail: { ...facts, attempt, outcome: 'sent' } }, now());
      if (done) await audit(db, { event: 'message.sent', ...by, detail: { ...facts, attempts: attempt } }, now());
      return true;
    }
    log(`outbox: message ${id} (${row.kind} by ${row.channel}), attempt ${attempt}: ${outcome.failure} failure: ${outcome.reason}`);
    if (outcome.failure === 'temporary') {
      // A message that cannot go out in time is closed as expired.
      const next = await claim.retryLater(outcome.reason);
      await audit(db, { event: 'message.attempt', ...by, detail: { ...facts, attempt, outcome: 'temporary', reason: outcome.reason, retryAt: next } }, now());
      return false;
    }
    const done = await finish('failed', { last_error: `${outcome.failure}: ${outcome.reason}` });
    await audit(db, { event: 'message.attempt', ...by, detail: { ...facts, attempt, outcome: outcome.failure, reason: outcome.reason } }, now());
    if (done) await audit(db, { event: outcome.failure === 'refused' ? 'message.refused' : 'message.failed', ...by, detail: { ...facts, attempts: attempt, reason: outcome.reason } }, now());
    return false;
  }

  const orders = deps.orders;
  return queueWorker({
    db,
    table: 'outbox',
    now,
    log,
    attempt: deliverOne,
    // Orders first: what they queue goes out in the same run.
    beforeRun: orders ? (instance, shouldStop) => processDueOrders({ db, instance, now, log }, orders, shouldStop) : undefined,
    handBack: orders ? (instance) => releaseOrders(db, instance) : undefined,
  });
}

/** A row this instance has claimed, and the only ways to let go of it. */
export type Claimed<Row> = {
  id: number;
  row: Row;
  /** This attempt's number (counted by the claim). */
  attempt: number;
  /** Writes a final state; false when the claim was lost meanwhile (a lapsed lease). */
  finish(status: string, fields?: Record<string, unknown>): Promise<boolean>;
  /** Hands the row back for another try after the back-off, never past its expires_at; returns when. */
  retryLater(lastError: string): Promise<number>;
};

/**
 * The loop of a claiming queue (this outbox; the back-channel logouts in src/oidc/backchannel.ts):
 * due rows of `table` in batches; each is claimed (one conditional UPDATE: of several instances,
 * exactly one changes the row) and handed to `attempt` (true when delivered, false when tried or
 * closed). One run at a time per instance.
 */
export function queueWorker<Row>(deps: {
  db: Db;
  /** The queue's table; its rows are `Row`s. */
  table: string;
  now: () => number;
  log: (message: string, error?: unknown) => void;
  attempt: (claim: Claimed<Row>) => Promise<boolean>;
  /** Work to do at the start of every run, as this instance (`instance` names its claims); it must stop claiming once `shouldStop()`. */
  beforeRun?: (instance: string, shouldStop: () => boolean) => Promise<unknown>;
  /** At stop: hands back what `beforeRun` claimed as this instance and still holds; returns how many. */
  handBack?: (instance: string) => Promise<number>;
}): OutboxWorker {
  const { db, table, now, log } = deps;
  const instance = randomUUID();
  let running: Promise<number> = Promise.resolve(0);
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;

  /** True when delivered by this call, false when tried or closed, undefined when another instance had it. */
  async function deliverOne(id: number): Promise<boolean | undefined> {
    const claimedAt = now();
    const claimed = await due(db(table).where({ id }), claimedAt).update({
      status: 'sending',
      claimed_by: instance,
      claimed_at: claimedAt,
      attempts: db.raw('?? + 1', ['attempts']),
    });
    if (!claimed) return undefined;
    const row = await db(table).where({ id }).first();
    const attempt = Number(row.attempts);
    // Only the holder of the claim may let go of it.
    const mine = () => db(table).where({ id, status: 'sending', claimed_by: instance });
    return deps.attempt({
      id,
      row,
      attempt,
      finish: async (status, fields = {}) => (await mine().update({ status, ...fields })) > 0,
      async retryLater(lastError) {
        const next = Math.min(now() + retryDelay(attempt), Number(row.expires_at));
        await mine().update({ status: 'pending', next_attempt_at: next, last_error: lastError, claimed_by: null, claimed_at: null });
        return next;
      },
    });
  }

  async function run(): Promise<number> {
    if (deps.beforeRun) await deps.beforeRun(instance, () => stopping);
    let delivered = 0;
    while (!stopping) {
      const ids = await due(db(table), now()).orderBy('next_attempt_at').orderBy('id').limit(BATCH).pluck('id');
      if (!ids.length) return delivered;
      const results = await Promise.all(ids.map((id) => deliverOne(Number(id))));
      delivered += results.filter((r) => r === true).length;
      // Every one taken by other instances meanwhile: leave the rest to them until the next tick.
      if (results.every((r) => r === undefined)) return delivered;
    }
    return delivered;
  }

  // One run at a time per instance; a caller waits for the current run and then runs again.
  const deliverDue = () => {
    running = running.catch(() => 0).then(run);
    return running;
  };

  return {
    deliverDue,
    start(intervalMs) {
      timer = setInterval(() => deliverDue().catch((error) => log(`${table} run failed`, error)), intervalMs);
      timer.unref();
    },
    async stop({ waitMs }: { waitMs?: number } = {}) {
      clearInterval(timer);
      stopping = true;
      const handBack = async () => {
        const handed = deps.handBack ? await deps.handBack(instance) : 0;
        if (handed) log(`${table}: handed back ${handed} order(s) claimed by this instance at shutdown`);
      };
      if (waitMs === undefined) {
        await running.catch(() => 0);
        return handBack();
      }
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([running.catch(() => 0), new Promise((resolve) => (timeout = setTimeout(resolve, waitMs)))]);
      clearTimeout(timeout);
      // Not an attempt that happened: the claim is handed back as it was counted.
      const released = await db(table)
        .where({ status: 'sending', claimed_by: instance })
        .update({ status: 'pending', claimed_by: null, claimed_at: null, attempts: db.raw('?? - 1', ['attempts']) });
      if (released) log(`${table}: released ${released} row(s) claimed by this instance at shutdown`);
      await handBack();
    },
  };
}

/** For /readyz: how many messages wait, and how long the oldest has waited. */
export async function outboxHealth(db: Db, now: number): Promise<{ backlog: number; oldestUndeliveredAgeSeconds: number; failed: number }> {
  const waiting = await db('outbox').whereIn('status', ['pending', 'sending']).count({ n: '*' }).min({ oldest: 'created_at' }).first();
  const failed = await db('outbox').where({ status: 'failed' }).count({ n: '*' }).first();
  const oldest = waiting?.oldest == null ? now : Number(waiting.oldest);
  return {
    backlog: Number(waiting?.n ?? 0),
    oldestUndeliveredAgeSeconds: Math.max(0, Math.floor((now - oldest) / 1000)),
    failed: Number(failed?.n ?? 0),
  };
}

export type OutboxEntry = {
  id: number;
  status: OutboxStatus;
  channel: Channel;
  recipient: string;
  kind: string;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  expiresAt: number;
  lastError: string | null;
  accountId: string | null;
};

/** The operator's view (`hk-idp outbox list`): never the params. */
export async function listOutbox(db: Db, statuses: OutboxStatus[], limit: number): Promise<OutboxEntry[]> {
  const rows = await db('outbox')
    .whereIn('status', statuses)
    .orderBy('id', 'desc')
    .limit(limit)
    .select('id', 'status', 'channel', 'recipient', 'kind', 'attempts', 'created_at', 'next_attempt_at', 'expires_at', 'last_error', 'account_id');
  return rows.map((row) => ({
    id: Number(row.id),
    status: row.status,
    channel: row.channel,
    recipient: row.recipient,
    kind: row.kind,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    nextAttemptAt: Number(row.next_attempt_at),
    expiresAt: Number(row.expires_at),
    lastError: row.last_error,
    accountId: row.account_id,
  }));
}
