// Shared counters for throttling and sending limits: in the database by default, in Redis when
// REDIS_URL is set (with the database taking over while Redis does not answer). Every write is one
// atomic statement (or one Redis script) whose own result is what the caller decides on, so a crowd of
// parallel requests is counted exactly and none slips past a limit.
//
// Two kinds of counter:
//
// - Sliding windows (`increment`/`peek`): a window of W is kept as time slices of W/10, and its
//   total is the sum of the current slice and the 10 before it. Whatever happened in the last W is
//   therefore always in the total (no fixed boundary to burst across), at the price of counting up to
//   W/10 more. In the database each slice is further split over a few rows (shards) picked at random
//   per write, so busy keys do not serialise concurrent requests on one row lock.
//
// - Failure counters (`claimAttempt`/`settleAttempt`), for guesses at a secret. See `settleAttempt`.
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Db } from '../storage/db.ts';
import { changeRows, firstRow } from '../storage/direct.ts';

/** When a failure-counted key is locked: a free number of failures, then a growing wait, capped. */
export type LockPolicy = { freeFailures: number; firstDelayMs: number; maxDelayMs: number; ttlMs: number };

export const lockDelay = (failures: number, policy: LockPolicy): number =>
  failures < policy.freeFailures ? 0 : Math.min(policy.firstDelayMs * 2 ** (failures - policy.freeFailures), policy.maxDelayMs);

export type AttemptClaim = { allowed: boolean; failures: number; retryAfterMs: number };

export type CounterStore = {
  /** Adds `by` (1 by default; -1 gives one back) to the sliding window `windowMs` ending at `now`; returns its total, this addition included. */
  increment(key: string, windowMs: number, now: number, by?: number): Promise<number>;
  /** The sliding window's total, without adding. */
  peek(key: string, windowMs: number, now: number): Promise<number>;
  /** True for the first caller of `key` only (until `ttlMs` after `now`): "do this once" across instances. */
  once(key: string, now: number, ttlMs: number): Promise<boolean>;
  /**
   * Whether an attempt on a failure-counted key may go ahead: one read, no counting. It decides only
   * whether the secret is checked for real; `settleAttempt` decides the outcome.
   */
  claimAttempt(key: string, now: number, policy: LockPolicy): Promise<AttemptClaim>;
  /**
   * Settles an attempt once its secret is checked, in one atomic write that evaluates the lock at
   * that moment. A right secret (`succeeded`) wins only if the key is not locked now, and then clears
   * the failures. Anything else — a wrong secret, or a right one that came too late — is counted as a
   * failure; it restarts the wait only if the key was not locked (a refused attempt grows the wait
   * through the count, but does not move its start).
   *
   * Why in two steps: counting before the check (as this once did) made a crowd of right passwords
   * throttle itself; checking only at the start let a crowd of parallel wrong guesses all be tried.
   * Now every parallel guess is tried, but only those settled before the lock can win: of a crowd of
   * guesses, at most `freeFailures` count, as for one guess at a time.
   */
  settleAttempt(key: string, now: number, policy: LockPolicy, succeeded: boolean): Promise<{ won: boolean; failures: number }>;
  clearFailures(key: string): Promise<void>;
  failures(key: string): Promise<number>;
  /** True while a Redis store is not answering and the database counts instead (for metrics). */
  degraded(): boolean;
  close(): Promise<void>;
};

export const SLICES = 10;
const SHARDS = 8;

/** The slice of `now` and the first slice of the window ending at it. */
function slices(windowMs: number, now: number) {
  const sliceMs = Math.ceil(windowMs / SLICES);
  const current = Math.floor(now / sliceMs);
  return { sliceMs, current, first: current - SLICES };
}

/** Numbers inlined into SQL are ours (clock, policy), never input; this makes sure they are integers. */
const int = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
};

function lockState(row: LockRow | undefined, now: number, policy: LockPolicy) {
  const live = row && Number(row.expires_at) >= now;
  const failures = live ? Number(row.count) : 0;
  const delay = lockDelay(failures, policy);
  // No delay is no lock, whatever the clocks: a failure stamped a moment after this attempt's `now`
  // (a parallel request) must not lock out a key that has free failures left.
  const until = live && delay > 0 ? Number(row.last_at) + delay : 0;
  return { failures, retryAfterMs: Math.max(0, until - now) };
}

// A sign-in runs four of these: fixed SQL past knex's query builder and runner (src/storage/direct.ts),
// which cost more than the statements. `by` is bound, not inlined, so one text serves every call.
const ADD_TO_SLICE = `insert into counter_slices (key, slice, shard, count, expires_at) values (?, ?, ?, ?, ?)
  on conflict (key, slice, shard) do update set count = counter_slices.count + excluded.count`;
const WINDOW_TOTAL = 'select sum(count) as total from counter_slices where key = ? and slice between ? and ?';
const LOCK_ROW = 'select count, last_at, expires_at from counters where key = ?';
type LockRow = { count: number | string; last_at: number | string; expires_at: number | string };

export function createDbCounterStore(db: Db): CounterStore {
  // The lock as SQL over the stored row: an expired row counts as no row. The SQL text is the same at
  // every call for one policy (so the driver's prepared statement is reused): the time of the attempt
  // is read back from the row being written, whose expiry is that time + ttl.
  const lockedSql = (policy: LockPolicy) => {
    const now = `(excluded.expires_at - ${int(policy.ttlMs)})`;
    const count = `(CASE WHEN counters.expires_at < ${now} THEN 0 ELSE counters.count END)`;
    const cases: string[] = [];
    for (let f = policy.freeFailures; lockDelay(f, policy) < policy.maxDelayMs; f++) cases.push(`WHEN ${count} = ${f} THEN ${int(lockDelay(f, policy))}`);
    const delay = `(CASE WHEN ${count} < ${int(policy.freeFailures)} THEN 0 ${cases.join(' ')} ELSE ${int(policy.maxDelayMs)} END)`;
    // No delay is no lock (see lockState).
    return { now, count, locked: `(counters.expires_at >= ${now} AND ${delay} > 0 AND counters.last_at + ${delay} > ${now})` };
  };
  // The settling write: a wrong secret counts, a right one clears the failures unless locked (see settleAttempt).
  // Built once per policy (a settings object, the same at every sign-in), not at every attempt.
  const settleSqls = new WeakMap<LockPolicy, { failed: string; succeeded: string }>();
  const settleSql = (policy: LockPolicy, succeeded: boolean) => {
    let texts = settleSqls.get(policy);
    if (!texts) {
      const { now, count, locked } = lockedSql(policy);
      const upsert = (set: string) =>
        `insert into counters (key, count, last_at, expires_at) values (?, ?, ?, ?) on conflict (key) do update set ${set}, expires_at = excluded.expires_at returning count`;
      texts = {
        succeeded: upsert(`count = CASE WHEN ${locked} THEN ${count} + 1 ELSE 0 END, last_at = CASE WHEN ${locked} THEN counters.last_at ELSE 0 END`),
        failed: upsert(`count = ${count} + 1, last_at = CASE WHEN ${locked} THEN counters.last_at ELSE ${now} END`),
      };
      settleSqls.set(policy, texts);
    }
    return succeeded ? texts.succeeded : texts.failed;
  };
  const store: CounterStore = {
    async increment(key, windowMs, now, by = 1) {
      const { sliceMs, current } = slices(windowMs, now);
      await changeRows(db, ADD_TO_SLICE, [key, current, randomInt(SHARDS), by, (current + SLICES + 1) * sliceMs]);
      return store.peek(key, windowMs, now);
    },
    async peek(key, windowMs, now) {
      const { current, first } = slices(windowMs, now);
      const row = await firstRow<{ total: number | string | null }>(db, WINDOW_TOTAL, [key, first, current]);
      return Number(row?.total ?? 0);
    },
    async once(key, now, ttlMs) {
      // A claim whose time is over is taken over (as Redis's expiring key is gone), in the same statement.
      const rows = await db('counters')
        .insert({ key, count: 1, last_at: now, expires_at: now + ttlMs })
        .onConflict('key')
        .merge(['count', 'last_at', 'expires_at'])
        .where('counters.expires_at', '<=', now)
        .returning('key');
      return rows.length === 1;
    },
    async claimAttempt(key, now, policy) {
      const { failures, retryAfterMs } = lockState(await firstRow<LockRow>(db, LOCK_ROW, [key]), now, policy);
      return { allowed: retryAfterMs === 0, failures, retryAfterMs };
    },
    async settleAttempt(key, now, policy, succeeded) {
      // settleSql reads the attempt's time back from this expiry.
      const expires = now + policy.ttlMs;
      const row = await firstRow<{ count: number | string }>(db, settleSql(policy, succeeded), [key, succeeded ? 0 : 1, succeeded ? 0 : now, expires]);
      const failures = Number(row!.count);
      return { won: succeeded && failures === 0, failures };
    },
    async clearFailures(key) {
      await db('counters').where({ key }).delete();
    },
    async failures(key) {
      const row = await db('counters').where({ key }).first('count');
      return row ? Number(row.count) : 0;
    },
    degraded: () => false,
    async close() {},
  };
  return store;
}

// The same operations as Redis scripts, each atomic. Slice keys are `<key>@<slice>`.
// INCREMENT: KEYS = the window's slices, oldest first, current last; ARGV = by, current's lifetime (ms).
const INCREMENT = `
redis.call('INCRBY', KEYS[#KEYS], ARGV[1])
redis.call('PEXPIRE', KEYS[#KEYS], ARGV[2])
local total = 0
for i = 1, #KEYS do total = total + tonumber(redis.call('GET', KEYS[i]) or '0') end
return total
`;
// SETTLE: KEYS[1] = key; ARGV = now, free, first, max, ttl, succeeded (1/0). Returns {won, failures}.
const SETTLE = `
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now, free, first, max, ttl, ok = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
local delay = 0
if count >= free then delay = math.min(first * 2 ^ (count - free), max) end
local locked = delay > 0 and last + delay > now
if ok and not locked then
  redis.call('DEL', KEYS[1])
  return {1, 0}
end
if locked then redis.call('HSET', KEYS[1], 'count', count + 1) else redis.call('HSET', KEYS[1], 'count', count + 1, 'last', now) end
redis.call('PEXPIRE', KEYS[1], ttl)
return {0, count + 1}
`;

export function createRedisCounterStore(url: string, prefix: string, redis = connectRedis(url)): CounterStore {
  const sliceKeys = (key: string, windowMs: number, now: number) => {
    const { sliceMs, current, first } = slices(windowMs, now);
    const keys = Array.from({ length: current - first + 1 }, (_, i) => `${prefix}${key}@${first + i}`);
    return { keys, lifetime: (current + SLICES + 1) * sliceMs - now };
  };
  return {
    async increment(key, windowMs, now, by = 1) {
      const { keys, lifetime } = sliceKeys(key, windowMs, now);
      return Number(await redis.eval(INCREMENT, keys.length, ...keys, by, lifetime));
    },
    async peek(key, windowMs, now) {
      const values = await redis.mget(...sliceKeys(key, windowMs, now).keys);
      return values.reduce((total, value) => total + Number(value ?? 0), 0);
    },
    async once(key, _now, ttlMs) {
      return (await redis.set(prefix + key, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async claimAttempt(key, now, policy) {
      const [count, last] = await redis.hmget(prefix + key, 'count', 'last');
      const { failures, retryAfterMs } = lockState(count === null ? undefined : { count, last_at: last ?? 0, expires_at: now }, now, policy);
      return { allowed: retryAfterMs === 0, failures, retryAfterMs };
    },
    async settleAttempt(key, now, policy, succeeded) {
      const [won, failures] = (await redis.eval(SETTLE, 1, prefix + key, now, policy.freeFailures, policy.firstDelayMs, policy.maxDelayMs, policy.ttlMs, succeeded ? 1 : 0)) as number[];
      return { won: won === 1, failures: failures! };
    },
    async clearFailures(key) {
      await redis.del(prefix + key);
    },
    async failures(key) {
      return Number((await redis.hget(prefix + key, 'count')) ?? 0);
    },
    degraded: () => false,
    async close() {
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    },
  };
}

// A command waits at most this long, and one reconnection attempt, before the database takes over.
const REDIS_COMMAND_TIMEOUT_MS = 1000;

function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS, connectTimeout: 2000 });
}

/**
 * Redis with the database standing in while Redis does not answer, operation by operation: a sign-in
 * never fails because Redis is down, it is throttled on the database's counters instead. One log line
 * when Redis stops answering and one when it is back; `degraded()` says which is in use. Counts made
 * during an outage stay in the database (an attacker gains at most one free round of guesses per outage).
 */
export function createFailoverCounterStore(url: string, prefix: string, db: Db, log: (message: string) => void): CounterStore {
  const redis = connectRedis(url);
  const primary = createRedisCounterStore(url, prefix, redis);
  const fallback = createDbCounterStore(db);
  let down = false;
  const goDown = (error: Error) => {
    if (down) return;
    down = true;
    log(`Redis is not answering (${error.message}): throttling and sending counters are kept in the database until it is back`);
  };
  redis.on('error', goDown);
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log('Redis answers again: throttling and sending counters are back in Redis');
  });
  const route =
    <A extends unknown[], R>(operation: (store: CounterStore) => (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (!down) {
        try {
          return await operation(primary)(...args);
        } catch (error) {
          goDown(error as Error);
          // A command that timed out on a live connection: reconnect, so 'ready' tells when it is back.
          if (redis.status === 'ready') redis.disconnect(true);
        }
      }
      return operation(fallback)(...args);
    };
  return {
    increment: route((s) => s.increment),
    peek: route((s) => s.peek),
    once: route((s) => s.once),
    claimAttempt: route((s) => s.claimAttempt),
    settleAttempt: route((s) => s.settleAttempt),
    clearFailures: route((s) => s.clearFailures),
    failures: route((s) => s.failures),
    degraded: () => down,
    close: () => primary.close(),
  };
}

/** The store the settings ask for: Redis (with the database standing in) when REDIS_URL is set, else the database. */
export function createCounterStore(
  db: Db,
  settings: { redisUrl: string | null; redisPrefix: string },
  log: (message: string) => void = (message) => console.error(message),
): CounterStore {
  return settings.redisUrl ? createFailoverCounterStore(settings.redisUrl, settings.redisPrefix, db, log) : createDbCounterStore(db);
}
