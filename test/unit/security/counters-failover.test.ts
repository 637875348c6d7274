// With REDIS_URL set, the counters are in Redis; while Redis does not answer, the database stands in,
// operation by operation, with one log line per outage, and Redis takes over again when it is back.
// The test starts (and kills, and restarts) a Redis of its own, so it needs the redis-server binary.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { createFailoverCounterStore, type LockPolicy } from '../../../src/security/counters.ts';
import { testDb } from '../../support/db.ts';
import { freePort } from '../../support/idp.ts';

const policy: LockPolicy = { freeFailures: 5, firstDelayMs: 30_000, maxDelayMs: 900_000, ttlMs: 86_400_000 };
const noBinary = spawnSync('redis-server', ['--version']).status === 0 ? false : 'no redis-server binary (apt-get install redis-server)';

/** A Redis of the test's own on `port`, resolved once it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!/Ready to accept connections/.test(output)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    await once(child.stdout!, 'data');
  }
  return child;
}

describe('Redis outage: the database stands in', { skip: noBinary }, () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('down: counted in the database, one log line; back: Redis again, one log line', async () => {
    const { db, close } = await testDb();
    cleanups.push(close);
    const port = await freePort();
    let redis = await startRedis(port);
    cleanups.push(() => void redis.kill('SIGKILL'));
    const logged: string[] = [];
    let backAgain: () => void = () => {};
    const back = new Promise<void>((resolve) => (backAgain = resolve));
    const store = createFailoverCounterStore(`redis://127.0.0.1:${port}`, `t:${randomUUID()}:`, db, (line) => {
      logged.push(line);
      if (/answers again/.test(line)) backAgain();
    });
    cleanups.push(() => store.close());

    await store.settleAttempt('k', 1_000_000, policy, false);
    assert.equal(store.degraded(), false);
    assert.equal(await db('counters').where({ key: 'k' }).first(), undefined, 'while Redis answers, the database is not used');

    redis.kill('SIGKILL');
    await once(redis, 'exit');
    for (let i = 0; i < 6; i++) await store.settleAttempt('k', 1_000_000, policy, false);
    assert.equal(store.degraded(), true);
    assert.equal(await store.failures('k'), 6, 'the failures during the outage are counted in the database');
    assert.equal((await store.claimAttempt('k', 1_000_001, policy)).allowed, false, 'and throttle there');
    assert.equal(logged.filter((line) => /not answering/.test(line)).length, 1, 'one line for the outage');

    redis = await startRedis(port);
    await back;
    assert.equal(store.degraded(), false);
    await store.settleAttempt('after', 1_000_000, policy, false);
    assert.equal(await store.failures('after'), 1);
    assert.equal(await db('counters').where({ key: 'after' }).first(), undefined, 'counted in Redis again, not in the database');
    assert.equal(logged.length, 2, 'one line for the outage, one for its end');
  });
});
