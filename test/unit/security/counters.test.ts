// Both counter stores behave alike: the database (default) and Redis (REDIS_URL).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { purgesNamed, runPurge } from '../../../src/maintenance/purge.ts';
import { createDbCounterStore, createRedisCounterStore, lockDelay, type CounterStore, type LockPolicy } from '../../../src/security/counters.ts';
import { testDb } from '../../support/db.ts';
import { REDIS_URL, redisSkip } from '../../support/redis.ts';

const policy: LockPolicy = { freeFailures: 5, firstDelayMs: 30_000, maxDelayMs: 900_000, ttlMs: 86_400_000 };
const HOUR = 3600_000;

test('the wait grows from 30 s and is capped at 15 minutes', () => {
  assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 30].map((f) => lockDelay(f, policy)), [0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
});

const noRedis = await redisSkip();

for (const kind of ['database', 'redis'] as const) {
  describe(`${kind} counter store`, { skip: kind === 'redis' && noRedis }, () => {
    let store: CounterStore;
    let cleanup = async () => {};
    const ready = (async () => {
      if (kind === 'database') {
        const { db, close } = await testDb();
        store = createDbCounterStore(db);
        cleanup = async () => {
          const report = await runPurge(db, { now: Date.now() + 2 * 86_400_000, auditRetentionDays: 400, targets: purgesNamed('counters', 'counter-slices') });
          assert.ok(report.ran && report.purged.counters! + report.purged['counter-slices']! > 0, 'old counters are purged');
          await close();
        };
      } else {
        store = createRedisCounterStore(REDIS_URL, `hk-idp-test:${randomUUID()}:`);
        cleanup = () => store.close();
      }
    })();
    after(async () => cleanup());
    const key = () => `k-${randomUUID()}`;

    test('sliding windows: everything in the last window counts, whatever the clock boundary', async () => {
      await ready;
      const k = key();
      const t = 10 * HOUR; // a whole hour on the clock
      assert.equal(await store.increment(k, HOUR, t - 1000), 1);
      assert.equal(await store.increment(k, HOUR, t + 1000), 2, 'a new clock hour does not start at 1');
      assert.equal(await store.peek(k, HOUR, t + HOUR - 2000), 2, 'both are within the last hour');
      assert.equal(await store.peek(k, HOUR, t + HOUR + 500), 1, 'the first one has left the window');
      assert.equal(await store.peek(k, HOUR, t + HOUR + HOUR / 10 + 2000), 0, 'a window is at most a tenth longer than asked');
      assert.equal(await store.increment(k, HOUR, t + 2000, -1), 1, 'a count can be given back');
    });

    test('32 parallel increments: all counted, and no more than a limit see a total within it', async () => {
      await ready;
      const k = key();
      const totals = await Promise.all(Array.from({ length: 32 }, () => store.increment(k, HOUR, 5 * HOUR)));
      assert.equal(await store.peek(k, HOUR, 5 * HOUR), 32);
      // Each total is read after its own addition: with a limit of 10, no more than 10 see ≤ 10.
      assert.ok(totals.filter((n) => n <= 10).length <= 10);
      assert.equal(Math.max(...totals), 32);
    });

    test('once is once', async () => {
      await ready;
      const k = key();
      const results = await Promise.all(Array.from({ length: 8 }, () => store.once(k, 1000, HOUR)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('five free failures, then a wait; a refused attempt grows the wait but does not restart it', async () => {
      await ready;
      const k = key();
      const t = 1_000_000_000;
      for (let i = 1; i <= 5; i++) {
        assert.equal((await store.claimAttempt(k, t + i, policy)).allowed, true);
        assert.deepEqual(await store.settleAttempt(k, t + i, policy, false), { won: false, failures: i });
      }
      const refused = await store.claimAttempt(k, t + 10, policy);
      assert.deepEqual(refused, { allowed: false, failures: 5, retryAfterMs: 30_000 - 5 });
      assert.deepEqual(await store.settleAttempt(k, t + 10, policy, false), { won: false, failures: 6 }, 'a refused guess is counted');
      assert.equal((await store.claimAttempt(k, t + 5 + 30_000, policy)).allowed, false, 'the wait grew to 60 s from the last allowed failure');
      assert.equal((await store.claimAttempt(k, t + 5 + 60_000, policy)).allowed, true);
      assert.deepEqual(await store.settleAttempt(k, t + 5 + 60_000, policy, true), { won: true, failures: 0 }, 'a right secret clears the count');
      assert.equal(await store.failures(k), 0);
    });

    test('32 parallel right secrets of one key all win; a claim counts nothing', async () => {
      await ready;
      const k = key();
      for (let i = 0; i < 3; i++) await store.settleAttempt(k, 2_000_000_000, policy, false);
      const claims = await Promise.all(Array.from({ length: 32 }, () => store.claimAttempt(k, 2_000_000_001, policy)));
      assert.ok(claims.every((c) => c.allowed));
      const settled = await Promise.all(Array.from({ length: 32 }, () => store.settleAttempt(k, 2_000_000_001, policy, true)));
      assert.ok(settled.every((s) => s.won));
      assert.equal(await store.failures(k), 0);
    });

    test('32 parallel wrong guesses: all counted, and a right one settled after them loses', async () => {
      await ready;
      const k = key();
      const t = 2_500_000_000;
      const settled = await Promise.all(Array.from({ length: 32 }, () => store.settleAttempt(k, t, policy, false)));
      assert.deepEqual(settled.map((s) => s.failures).sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i + 1));
      assert.equal(await store.failures(k), 32);
      assert.deepEqual(await store.settleAttempt(k, t + 1, policy, true), { won: false, failures: 33 }, 'the right secret came after the lock: refused and counted');
      assert.equal((await store.claimAttempt(k, t + 1, policy)).allowed, false);
    });

    test('failures below the free number lock nothing, even stamped after a parallel attempt began', async () => {
      await ready;
      const k = key();
      const t = 2_600_000_000;
      // Four losers of a race settle with clocks read a moment later than the winner's.
      for (let i = 1; i <= 4; i++) await store.settleAttempt(k, t + i, policy, false);
      assert.equal((await store.claimAttempt(k, t, policy)).allowed, true, 'no wait is owed: the attempt may go on');
      assert.deepEqual(await store.settleAttempt(k, t, policy, true), { won: true, failures: 0 }, 'the right secret wins');
    });

    test('the lock is never permanent: at most the maximum wait', async () => {
      await ready;
      const k = key();
      const t = 3_000_000_000;
      for (let i = 0; i < 100; i++) await store.settleAttempt(k, t, policy, false);
      assert.equal((await store.claimAttempt(k, t + 899_000, policy)).allowed, false);
      assert.equal((await store.claimAttempt(k, t + 900_000, policy)).allowed, true);
      assert.equal((await store.settleAttempt(k, t + 900_000, policy, true)).won, true);
    });
  });
}
