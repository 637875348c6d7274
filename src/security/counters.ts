// Shared counters for throttling and sending limits: in the database by default, in Redis when
// REDIS_URL is set. Every operation is one atomic step, so parallel requests are all counted and
// none slips past a limit.
import { Redis } from 'ioredis';
import type { Db } from '../storage/db.ts';

/** When a failure-counted key is locked: a free number of failures, then a growing wait, capped. */
export type LockPolicy = { freeFailures: number; firstDelayMs: number; maxDelayMs: number; ttlMs: number };

export const lockDelay = (failures: number, policy: LockPolicy): number =>
  failures < policy.freeFailures ? 0 : Math.min(policy.firstDelayMs * 2 ** (failures - policy.freeFailures), policy.maxDelayMs);

export type CounterStore = {
  /** Adds one to the fixed window `windowMs` that contains `now`; returns the count in it. */
  increment(key: string, windowMs: number, now: number): Promise<number>;
  /** The count in the current window, without adding. */
  peek(key: string, windowMs: number, now: number): Promise<number>;
  /**
   * One attempt on a failure-counted key. Allowed while the key is not locked; an allowed attempt is
   * counted as a failure at once (so parallel guesses cannot all pass) and `clearFailures` undoes it on
   * success. A refused attempt is counted too, but does not extend the lock.
   */
  claimAttempt(key: string, now: number, policy: LockPolicy): Promise<{ allowed: boolean; failures: number; retryAfterMs: number }>;
  clearFailures(key: string): Promise<void>;
  failures(key: string): Promise<number>;
  close(): Promise<void>;
};

const windowKey = (key: string, windowMs: number, now: number) => `${key}@${Math.floor(now / windowMs)}`;

export function createDbCounterStore(db: Db): CounterStore {
  // The lock condition as SQL: `count` failures so far, `last_at` the latest allowed attempt.
  const delaySql = (policy: LockPolicy) => {
    const cases: string[] = [];
    for (let f = policy.freeFailures; lockDelay(f, policy) < policy.maxDelayMs; f++) cases.push(`WHEN count = ${f} THEN ${lockDelay(f, policy)}`);
    return `CASE WHEN count < ${policy.freeFailures} THEN 0 ${cases.join(' ')} ELSE ${policy.maxDelayMs} END`;
  };
  return {
    async increment(key, windowMs, now) {
      const k = windowKey(key, windowMs, now);
      const end = (Math.floor(now / windowMs) + 1) * windowMs;
      const [row] = await db('counters')
        .insert({ key: k, count: 1, last_at: now, expires_at: end })
        .onConflict('key')
        .merge({ count: db.raw('counters.count + 1'), last_at: now })
        .returning('count');
      return Number((row as { count: number }).count);
    },
    async peek(key, windowMs, now) {
      const row = await db('counters').where({ key: windowKey(key, windowMs, now) }).first('count');
      return row ? Number(row.count) : 0;
    },
    async claimAttempt(key, now, policy) {
      await db('counters').insert({ key, count: 0, last_at: 0, expires_at: now + policy.ttlMs }).onConflict('key').ignore();
      const claimed = await db('counters')
        .where({ key })
        .andWhereRaw(`last_at + ${delaySql(policy)} <= ?`, [now])
        .update({ count: db.raw('count + 1'), last_at: now, expires_at: now + policy.ttlMs });
      if (!claimed) await db('counters').where({ key }).update({ count: db.raw('count + 1') });
      const row = await db('counters').where({ key }).first('count', 'last_at');
      const failures = Number(row.count);
      const retryAfterMs = claimed ? 0 : Math.max(0, Number(row.last_at) + lockDelay(failures - 1, policy) - now);
      return { allowed: claimed === 1, failures, retryAfterMs };
    },
    async clearFailures(key) {
      await db('counters').where({ key }).delete();
    },
    async failures(key) {
      const row = await db('counters').where({ key }).first('count');
      return row ? Number(row.count) : 0;
    },
    async close() {},
  };
}

// The same claim as one Lua script, atomic in Redis. KEYS[1] = key; ARGV = now, free, first, max, ttl.
const CLAIM = `
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now, free, first, max, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local delay = 0
if count >= free then delay = math.min(first * 2 ^ (count - free), max) end
if last + delay <= now then
  redis.call('HSET', KEYS[1], 'count', count + 1, 'last', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, count + 1, 0}
end
redis.call('HINCRBY', KEYS[1], 'count', 1)
return {0, count + 1, last + delay - now}
`;

export function createRedisCounterStore(url: string, prefix: string): CounterStore {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  return {
    async increment(key, windowMs, now) {
      const k = prefix + windowKey(key, windowMs, now);
      const [[, count]] = (await redis.multi().incr(k).pexpire(k, windowMs).exec()) as [[null, number]];
      return count;
    },
    async peek(key, windowMs, now) {
      return Number((await redis.get(prefix + windowKey(key, windowMs, now))) ?? 0);
    },
    async claimAttempt(key, now, policy) {
      const [allowed, failures, retryAfterMs] = (await redis.eval(CLAIM, 1, prefix + key, now, policy.freeFailures, policy.firstDelayMs, policy.maxDelayMs, policy.ttlMs)) as number[];
      return { allowed: allowed === 1, failures: failures!, retryAfterMs: retryAfterMs! };
    },
    async clearFailures(key) {
      await redis.del(prefix + key);
    },
    async failures(key) {
      return Number((await redis.hget(prefix + key, 'count')) ?? 0);
    },
    async close() {
      await redis.quit();
    },
  };
}

/** The store the settings ask for: Redis when REDIS_URL is set, else the database. */
export function createCounterStore(db: Db, settings: { redisUrl: string | null; redisPrefix: string }): CounterStore {
  return settings.redisUrl ? createRedisCounterStore(settings.redisUrl, settings.redisPrefix) : createDbCounterStore(db);
}

/** Deletes counters whose window or lock has passed (the database store only; Redis expires its own). */
export async function purgeCounters(db: Db, now: number): Promise<number> {
  return db('counters').where('expires_at', '<', now).delete();
}
