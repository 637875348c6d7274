// /readyz says "unavailable" (503) when the database does not answer, without internals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Context } from 'koa';
import { healthRoutes } from '../../../src/http/health.ts';
import type { Db } from '../../../src/storage/db.ts';

test('/readyz answers 503 when the database is down; /healthz still answers', async () => {
  const brokenDb = (() => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
  }) as unknown as Db;
  const logged: unknown[] = [];
  const probe = healthRoutes({ db: brokenDb, now: () => 0, log: (_m, e) => logged.push(e) });
  const call = async (path: string) => {
    const ctx = { method: 'GET', path, status: 200, body: undefined as unknown, set() {} } as unknown as Context;
    await probe(ctx, async () => {});
    return ctx;
  };
  const ready = await call('/readyz');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body, { status: 'unavailable' });
  assert.equal(logged.length, 1, 'the cause goes to the log, not to the caller');
  const live = await call('/healthz');
  assert.deepEqual(live.body, { status: 'ok' });
});
