// The durable outbox. A flow enqueues a message in the same transaction as the secret it carries and
// answers at once; a worker in every instance claims due messages (one instance per message) and
// hands them to the connector. Sending never happens inside a person's request.
import { randomUUID } from 'node:crypto';
import type { Db } from '../storage/db.ts';
import type { Connector, MessageRequest } from './delivery.ts';

export type QueuedMessage = MessageRequest & {
  /** When the secret inside stops being valid; the message is never delivered after it. */
  expiresAt: number;
  accountId?: string | null;
};

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

export type OutboxWorker = {
  /** Delivers every message that is due now; resolves when done (tests call it instead of waiting). */
  deliverDue(): Promise<number>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
};

export function createOutboxWorker(deps: {
  db: Db;
  connector: Connector;
  now: () => number;
  log: (message: string, error?: unknown) => void;
}): OutboxWorker {
  const { db, connector, now, log } = deps;
  const instance = randomUUID();
  let running: Promise<number> = Promise.resolve(0);
  let timer: NodeJS.Timeout | undefined;

  async function deliverOne(id: number): Promise<boolean> {
    // The conditional update is the claim: of several instances, exactly one changes the row.
    const claimed = await db('outbox').where({ id, status: 'pending' }).update({ status: 'sending', claimed_by: instance, claimed_at: now() });
    if (!claimed) return false;
    const row = await db('outbox').where({ id }).first();
    if (Number(row.expires_at) <= now()) {
      await db('outbox').where({ id }).update({ status: 'expired', params: null });
      return false;
    }
    try {
      await connector.send({ channel: row.channel, to: row.recipient, kind: row.kind, language: row.language, params: JSON.parse(row.params) });
      await db('outbox').where({ id }).update({ status: 'sent', sent_at: now(), attempts: row.attempts + 1, params: null });
      return true;
    } catch (error) {
      log(`outbox: message ${id} (${row.kind}) could not be delivered`, error);
      await db('outbox').where({ id }).update({ status: 'failed', attempts: row.attempts + 1, params: null, last_error: String((error as Error).message).slice(0, 500) });
      return false;
    }
  }

  async function run(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const due = await db('outbox').where({ status: 'pending' }).andWhere('next_attempt_at', '<=', now()).orderBy('id').limit(20).pluck('id');
      if (!due.length) return delivered;
      for (const id of due) if (await deliverOne(Number(id))) delivered++;
    }
  }

  // One run at a time per instance; a caller waits for the current run and then runs again.
  const deliverDue = () => {
    running = running.catch(() => 0).then(run);
    return running;
  };

  return {
    deliverDue,
    start(intervalMs) {
      timer = setInterval(() => deliverDue().catch((error) => log('outbox run failed', error)), intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running.catch(() => 0);
    },
  };
}
