// The hash pool runs at most `size` hashes, queues `maxQueue` more, and refuses the rest at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHashPool } from '../../../src/accounts/hash-pool.ts';
import { HashPoolBusy } from '../../../src/errors.ts';
import type { PasswordHasher } from '../../../src/accounts/passwords.ts';

/** A hasher whose hashes finish when the test says so. */
function manualHasher() {
  const pending: (() => void)[] = [];
  const started: string[] = [];
  const hasher: PasswordHasher = {
    hash: (password) =>
      new Promise((resolve) => {
        started.push(password);
        pending.push(() => resolve(`hashed:${password}`));
      }),
    verify: (password) =>
      new Promise((resolve) => {
        started.push(password);
        pending.push(() => resolve({ ok: true, needsRehash: false }));
      }),
  };
  return { hasher, started, finishOne: () => pending.shift()!() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('runs size at once, queues maxQueue, refuses the next at once with a Retry-After', async () => {
  const { hasher, started, finishOne } = manualHasher();
  const waits: number[] = [];
  let clock = 0;
  const pool = createHashPool(hasher, { size: 2, maxQueue: 1, onWait: (ms) => waits.push(ms), now: () => clock });
  const a = pool.hash('a');
  const b = pool.verify('b', null);
  const c = pool.hash('c');
  await tick();
  assert.deepEqual(started, ['a', 'b'], 'two run, the third waits');
  assert.deepEqual({ ...pool.stats(), waitSecondsTotal: 0 }, { size: 2, maxQueue: 1, running: 2, queued: 1, admitted: 0, done: 0, shed: 0, waitSecondsTotal: 0 });

  const refused = await pool.hash('d').catch((error: unknown) => error);
  assert.ok(refused instanceof HashPoolBusy);
  assert.ok(refused.retryAfterSeconds >= 1);
  assert.equal(pool.stats().shed, 1);
  assert.deepEqual(started, ['a', 'b'], 'the refused hash never ran');

  clock = 250;
  finishOne();
  assert.equal(await a, 'hashed:a');
  await tick();
  assert.deepEqual(started, ['a', 'b', 'c'], 'the queued hash takes the freed slot');
  assert.deepEqual(waits, [0, 0, 250], 'the queued hash waited 250 ms');
  assert.equal(pool.stats().waitSecondsTotal, 0.25);

  finishOne();
  finishOne();
  assert.deepEqual(await b, { ok: true, needsRehash: false });
  assert.equal(await c, 'hashed:c');
  assert.deepEqual({ running: pool.stats().running, queued: pool.stats().queued, done: pool.stats().done }, { running: 0, queued: 0, done: 3 });
});

test('a failed hash frees its slot', async () => {
  const failing: PasswordHasher = { hash: async () => Promise.reject(new Error('boom')), verify: async () => Promise.reject(new Error('boom')) };
  const pool = createHashPool(failing, { size: 1, maxQueue: 0 });
  await assert.rejects(pool.hash('x'), /boom/);
  await assert.rejects(pool.verify('x', null), /boom/, 'the slot was released: a second hash runs (and fails) instead of being refused');
  assert.equal(pool.stats().running, 0);
});

test('admits size + maxQueue sign-ins at once; a release makes room again', () => {
  const { hasher } = manualHasher();
  const pool = createHashPool(hasher, { size: 2, maxQueue: 1 });
  const releases = [pool.admit(), pool.admit(), pool.admit()];
  assert.ok(releases.every(Boolean));
  assert.equal(pool.admit(), undefined, 'the fourth is refused');
  assert.deepEqual({ admitted: pool.stats().admitted, shed: pool.stats().shed }, { admitted: 3, shed: 1 });
  releases[0]!();
  releases[0]!(); // twice is once
  assert.equal(pool.stats().admitted, 2);
  assert.ok(pool.admit(), 'room again');
});

test('settings: the pool defaults to the cores, leaving two libuv threads for the database and DNS', async () => {
  const { loadSettings, ConfigError } = await import('../../../config/settings.ts');
  const { availableParallelism, tmpdir } = await import('node:os');
  const base = { NODE_ENV: 'test', DATA_DIR: tmpdir() };
  assert.equal(loadSettings(base).hashPoolSize, Math.max(1, Math.min(availableParallelism(), 2)));
  assert.equal(loadSettings({ ...base, UV_THREADPOOL_SIZE: '16' }).hashPoolSize, Math.min(availableParallelism(), 14));
  assert.equal(loadSettings({ ...base, HASH_POOL_SIZE: '6', UV_THREADPOOL_SIZE: '8' }).hashPoolSize, 6);
  assert.throws(() => loadSettings({ ...base, HASH_POOL_SIZE: '4' }), (error: unknown) => error instanceof ConfigError && error.variable === 'HASH_POOL_SIZE' && /UV_THREADPOOL_SIZE of at least 6/.test(error.message));
  assert.equal(loadSettings(base).hashQueueMax, 64);
});
