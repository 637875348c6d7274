// A purge of many rows lets requests run between its batches. On SQLite every statement runs on the
// request thread, so a loop of them that never gave the event loop a turn stopped every request until
// the whole purge was done (a busy day's purge: seconds).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { endExpiredSessions } from '../../../src/oidc/backchannel-queue.ts';
import { purgesNamed, runPurge } from '../../../src/maintenance/purge.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

/** How many turns the event loop took while `work` ran (each a moment a waiting request could be answered). */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let done = false;
  let turns = 0;
  const turn = () => {
    if (done) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    await work();
  } finally {
    done = true;
  }
  return turns;
}

test('the purge gives the event loop a turn between its batches', async () => {
  const now = Date.now();
  await db('counters').insert(Array.from({ length: 10 }, (_, i) => ({ key: `old-${i}`, count: 1, last_at: now - 2, expires_at: now - 1 })));
  const turns = await turnsDuring(() => runPurge(db, { now, auditRetentionDays: 400, batchSize: 2, targets: purgesNamed('counters') }));
  assert.equal(await db('counters').count({ n: '*' }).first().then((row) => Number(row!.n)), 0);
  // Five full batches of two, then an empty one: a turn after each full one.
  assert.ok(turns >= 5, `${turns} turns`);
});

test('ending expired sessions gives the event loop a turn between sessions', async () => {
  const now = Date.now();
  await db('oidc_store').insert(Array.from({ length: 4 }, (_, i) => ({ model: 'Session', id: `s${i}`, payload: '{}', expires_at: now - 1 })));
  const turns = await turnsDuring(() => endExpiredSessions(db, now));
  assert.equal(await db('oidc_store').where({ model: 'Session' }).count({ n: '*' }).first().then((row) => Number(row!.n)), 0);
  assert.ok(turns >= 4, `${turns} turns`);
});
