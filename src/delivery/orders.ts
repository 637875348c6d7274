// Orders: "send me a first-time password / a code", recorded by the request and fulfilled by the
// outbox worker. The request does one identical insert whatever the order matches (after one count
// against its IP, claimOrderRequest, the same for any order), so neither its answer nor its timing can
// tell a registered contact from any other; matching, the sending limits,
// the wipe, the issue, the message and the audit all happen in the worker.
//
// An order is claimed by one conditional UPDATE (one instance wins) and deleted by its fulfilment's
// own transaction, again conditionally on the claim, so its effects happen once. A stopping instance
// claims no more and hands back what it holds; an order left claimed by a killed process is claimed
// again once the lease has run out.
import type { Channel } from './delivery.ts';
import type { Db } from '../storage/db.ts';
import type { OrderRow } from '../storage/tables.ts';

export type OrderKind = 'first_time_password' | 'business_code';

export type NewOrder = {
  kind: OrderKind;
  /** As typed (first-time passwords); null for codes. */
  memberNumber: string | null;
  channel: Channel;
  /** The typed contact, normalised. */
  contact: string;
  /** The language of the page the order came from: the message is written in it. */
  language: string;
  ip: string | null;
  clientId: string | null;
  /** The rest of the request context: user agent, the flow and purpose of a code. */
  context: Record<string, string | null>;
};

export type Order = NewOrder & { id: number; createdAt: number };

/**
 * Fulfils one order. `claim` must be called first inside the transaction that does the work: it
 * deletes the order if this instance still holds it, and says so; when it says false, do nothing.
 */
export type OrderHandler = (order: Order, claim: (trx: Db) => Promise<boolean>) => Promise<void>;

/** A claimed order whose fulfilment has not committed within this is taken to belong to a dead process. */
export const ORDER_LEASE_MS = 60_000;
/** Attempts before an order that keeps failing is dropped (it would otherwise retry forever). */
export const MAX_ORDER_ATTEMPTS = 3;
const BATCH = 20;

/** The request's only write: the same insert whatever the order matches. */
export async function recordOrder(db: Db, order: NewOrder, now: number): Promise<void> {
  await db('orders').insert({
    kind: order.kind,
    member_number: order.memberNumber,
    channel: order.channel,
    contact: order.contact,
    language: order.language,
    ip: order.ip?.slice(0, 64) ?? null,
    client_id: order.clientId?.slice(0, 128) ?? null,
    context: JSON.stringify(order.context),
    created_at: now,
  });
}

const due = (db: Db, now: number) => db('orders').where((q) => q.whereNull('claimed_at').orWhere('claimed_at', '<=', now - ORDER_LEASE_MS));

function toOrder(row: OrderRow): Order {
  return {
    id: Number(row.id),
    kind: row.kind,
    memberNumber: row.member_number,
    channel: row.channel,
    contact: row.contact,
    language: row.language,
    ip: row.ip,
    clientId: row.client_id,
    context: row.context ? JSON.parse(row.context) : {},
    createdAt: Number(row.created_at),
  };
}

/**
 * Fulfils every due order, oldest first; returns how many this instance fulfilled. Of several
 * instances, exactly one claims each order (the conditional UPDATE's row count says which).
 * Fulfilling is a few queries, so one instance keeps up with hundreds of orders a second.
 */
export async function processDueOrders(
  deps: { db: Db; instance: string; now: () => number; log: (message: string, error?: unknown) => void },
  handlers: Record<OrderKind, OrderHandler>,
  /** True once the instance is stopping: no further order is claimed (the others take the rest). */
  shouldStop: () => boolean = () => false,
): Promise<number> {
  const { db, instance, now, log } = deps;
  let fulfilled = 0;

  async function fulfilOne(id: number): Promise<boolean | undefined> {
    const claimedAt = now();
    const claimed = await due(db, claimedAt).andWhere({ id }).update({ claimed_by: instance, claimed_at: claimedAt, attempts: db.raw('?? + 1', ['attempts']) });
    if (!claimed) return undefined;
    const row = await db('orders').where({ id, claimed_by: instance }).first();
    if (!row) return undefined;
    if (Number(row.attempts) > MAX_ORDER_ATTEMPTS || !(row.kind in handlers)) {
      log(`orders: order ${id} (${row.kind}) dropped after ${Number(row.attempts) - 1} failed attempts`);
      await db('orders').where({ id, claimed_by: instance }).delete();
      return false;
    }
    let done = false;
    const claim = async (trx: Db) => {
      done = (await trx('orders').where({ id, claimed_by: instance }).delete()) === 1;
      return done;
    };
    try {
      await handlers[row.kind](toOrder(row), claim);
    } catch (error) {
      // Left claimed: tried again once the lease has run out.
      log(`orders: order ${id} (${row.kind}) failed`, error);
      return false;
    }
    return done;
  }

  while (!shouldStop()) {
    const ids = await due(db, now()).orderBy('id').limit(BATCH).pluck('id');
    if (!ids.length) return fulfilled;
    // One after another, oldest first: two orders of one member are fulfilled in the order they were
    // made (the sending limits refuse the later ones). Instances work in parallel.
    const results: (boolean | undefined)[] = [];
    for (const id of ids) {
      if (shouldStop()) return fulfilled;
      results.push(await fulfilOne(Number(id)));
    }
    fulfilled += results.filter((r) => r === true).length;
    // Every one taken by other instances (or failed): leave the rest until the next tick.
    if (results.every((r) => r !== true)) return fulfilled;
  }
  return fulfilled;
}

/**
 * At shutdown: hands back the orders this instance still holds (a fulfilment that hangs or failed),
 * so another instance fulfils them at once rather than after the lease. If the hung fulfilment goes
 * on, its `claim` finds the order no longer its own and it does nothing. The claim's attempt stays
 * counted, so an order that hangs every time is still dropped after MAX_ORDER_ATTEMPTS.
 */
export async function releaseOrders(db: Db, instance: string): Promise<number> {
  return db('orders').where({ claimed_by: instance }).update({ claimed_by: null, claimed_at: null });
}

/** For /readyz and the metrics: how many orders wait (claimed or not), and how long the oldest has waited. */
export async function orderHealth(db: Db, now: number): Promise<{ backlog: number; oldestAgeSeconds: number }> {
  const waiting = await db('orders').count({ n: '*' }).min({ oldest: 'created_at' }).first();
  const oldest = waiting?.oldest == null ? now : Number(waiting.oldest);
  return { backlog: Number(waiting?.n ?? 0), oldestAgeSeconds: Math.max(0, Math.floor((now - oldest) / 1000)) };
}
