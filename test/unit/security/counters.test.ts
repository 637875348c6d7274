// Both counter stores behave alike: the database (default) and Redis (REDIS_URL).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createDbCounterStore, createRedisCounterStore, lockDelay, purgeCounters, type CounterStore, type LockPolicy } from '../../../src/security/counters.ts';
import { testDb } from '../../support/db.ts';

const policy: LockPolicy = { freeFailures: 5, firstDelayMs: 30_000, maxDelayMs: 900_000, ttlMs: 86_400_000 };
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

test('the wait grows from 30 s and is capped at 15 minutes', () => {
  assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 30].map((f) => lockDelay(f, policy)), [0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
});

for (const kind of ['database', 'redis'] as const) {
  describe(`${kind} counter store`, () => {
    let store: CounterStore;
    let cleanup = async () => {};
    const ready = (async () => {
      if (kind === 'database') {
        const { db, close } = await testDb();
        store = createDbCounterStore(db);
        cleanup = async () => {
          assert.ok((await purgeCounters(db, Date.now() + 2 * 86_400_000)) > 0, 'old counters are purged');
          await close();
        };
      } else {
        store = createRedisCounterStore(REDIS_URL, `hk-idp-test:${randomUUID()}:`);
        cleanup = () => store.close();
      }
    })();
    after(async () => cleanup());
    const key = () => `k-${randomUUID()}`;

    test('fixed windows count and reset', async () => {
      await ready;
      const k = key();
      const t = 10 * 3600_000;
      assert.equal(await store.increment(k, 3600_000, t), 1);
      assert.equal(await store.increment(k, 3600_000, t + 1000), 2);
      assert.equal(await store.peek(k, 3600_000, t + 2000), 2);
      assert.equal(await store.increment(k, 3600_000, t + 3600_000), 1, 'a new window starts at 1');
    });

    test('five free failures, then a wait; refused attempts are counted but do not extend the lock', async () => {
      await ready;
      const k = key();
      const t = 1_000_000_000;
      for (let i = 1; i <= 5; i++) assert.deepEqual(await store.claimAttempt(k, t + i, policy), { allowed: true, failures: i, retryAfterMs: 0 });
      const refused = await store.claimAttempt(k, t + 10, policy);
      assert.equal(refused.allowed, false);
      assert.equal(refused.failures, 6);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000);
      // After the wait (it grew with the refused attempt: 60 s after the last allowed one) one more try.
      assert.equal((await store.claimAttempt(k, t + 5 + 60_000, policy)).allowed, true);
      assert.equal((await store.claimAttempt(k, t + 5 + 60_001, policy)).allowed, false);
      assert.equal(await store.failures(k), 8);
      await store.clearFailures(k);
      assert.equal(await store.failures(k), 0);
      assert.equal((await store.claimAttempt(k, t + 70_000, policy)).allowed, true);
    });

    test('20 parallel attempts: all counted, only the free ones allowed', async () => {
      await ready;
      const k = key();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claimAttempt(k, 2_000_000_000, policy)));
      assert.equal(results.filter((r) => r.allowed).length, 5);
      assert.equal(await store.failures(k), 20);
    });

    test('the lock is never permanent: at most the maximum wait', async () => {
      await ready;
      const k = key();
      const t = 3_000_000_000;
      for (let i = 0; i < 100; i++) await store.claimAttempt(k, t, policy);
      assert.equal((await store.claimAttempt(k, t + 899_000, policy)).allowed, false);
      assert.equal((await store.claimAttempt(k, t + 900_000, policy)).allowed, true);
    });
  });
}
