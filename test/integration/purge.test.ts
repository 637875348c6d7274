// The purge with two instances on one database (a SQLite file, or one PostgreSQL schema with
// TEST_DATABASE_URL): one instance purges at a time, in batches, every expiring table including the
// audit log past AUDIT_RETENTION_DAYS; `hk-idp purge` runs the same purge on demand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../src/cli/run.ts';
import { PURGES, runPurge } from '../../src/maintenance/purge.ts';
import type { Db } from '../../src/storage/db.ts';
import { freshDatabase, startIdpOn, type TestIdp } from '../support/idp.ts';

const DAY = 24 * 3600_000;

async function seed(db: Db, now: number): Promise<void> {
  const counters = Array.from({ length: 10 }, (_, i) => ({ key: `old-${i}`, count: 1, last_at: now - 2 * DAY, expires_at: now - DAY }));
  counters.push({ key: 'live', count: 1, last_at: now, expires_at: now + DAY });
  await db('counters').insert(counters);
  await db('oidc_store').insert([
    { model: 'Session', id: 'gone', payload: '{}', expires_at: now - 1 },
    { model: 'AccessToken', id: 'gone', payload: '{}', expires_at: now - 1 },
    { model: 'Session', id: 'kept', payload: '{}', expires_at: now + DAY },
  ]);
  await db('audit_log').insert([
    { at: now - 401 * DAY, event: 'test.ancient' },
    { at: now - 399 * DAY, event: 'test.old' },
    { at: now - DAY, event: 'test.recent' },
  ]);
}

const count = async (db: Db, table: string) => Number((await db(table).count({ n: '*' }))[0]!.n);

test('one instance purges at a time, in batches; the audit log keeps AUDIT_RETENTION_DAYS', async () => {
  const database = await freshDatabase();
  const instances: TestIdp[] = [];
  let release = () => {};
  try {
    const a = await startIdpOn(database);
    instances.push(a);
    const b = await startIdpOn(database);
    instances.push(b);
    const now = Date.now();
    await seed(a.db, now);

    // A purges in batches of 3 and is held after its first batch.
    const batches: Array<[string, number]> = [];
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = runPurge(a.db, {
      now,
      auditRetentionDays: 400,
      batchSize: 3,
      async onBatch(name, deleted) {
        batches.push([name, deleted]);
        if (batches.length === 1) {
          held();
          await gate;
        }
      },
    });
    await holding;
    // Meanwhile B's own purge (the timer's, or `hk-idp purge`) finds A at work and does nothing.
    assert.deepEqual(await b.purge(), { ran: false });
    const cli: string[] = [];
    assert.equal(await runCli(['purge'], { db: b.db, settings: b.settings, out: (l) => cli.push(l), err: (l) => cli.push(l), actor: 'test' }), 0);
    assert.match(cli.join('\n'), /another instance is purging/);
    assert.equal(await count(b.db, 'oidc_store'), 1, 'A\'s first batch is gone');
    assert.equal(await count(b.db, 'counters'), 11, 'the rest waits for A');

    release();
    const report = await first;
    assert.equal(report.ran, true);
    assert.deepEqual(
      batches.filter(([name]) => name === 'counters').map(([, n]) => n),
      [3, 3, 3, 1],
      'counters went in batches of at most 3',
    );
    assert.deepEqual(report.ran && report.purged, {
      // The expired session is ended (its apps told) by its own step; the expired token goes with the plain delete.
      'expired-sessions': 1,
      oidc: 1,
      'backchannel-logouts': 0,
      outbox: 0,
      counters: 10,
      'counter-slices': 0,
      'first-time-passwords': 0,
      'one-time-codes': 0,
      invitations: 0,
      'staff-invitations': 0,
      'console-sessions': 0,
      'console-send-counts': 0,
      'audit-log': 1,
    });
    assert.deepEqual(await b.db('counters').pluck('key'), ['live']);
    assert.deepEqual(await b.db('oidc_store').pluck('id'), ['kept']);
    assert.deepEqual((await b.db('audit_log').orderBy('at').pluck('event')).filter((e: string) => e.startsWith('test.')), ['test.old', 'test.recent']);

    // Once A is done, B may purge (nothing left), and `hk-idp purge` reports per table.
    const again = await b.purge();
    assert.equal(again.ran, true);
    cli.length = 0;
    assert.equal(await runCli(['purge'], { db: b.db, settings: b.settings, out: (l) => cli.push(l), err: (l) => cli.push(l), actor: 'test' }), 0);
    assert.match(cli.join('\n'), /^counters: 0 deleted$/m);
    assert.equal(cli.length, PURGES.length);
  } finally {
    release(); // a failed assertion must not leave A's purge (and its connection) held
    for (const idp of instances) await idp.close();
    await database.drop();
  }
});

test('AUDIT_RETENTION_DAYS decides how long the audit log is kept', async () => {
  const database = await freshDatabase();
  const idp = await startIdpOn(database, { AUDIT_RETENTION_DAYS: '30' });
  try {
    const now = Date.now();
    await idp.db('audit_log').insert([
      { at: now - 31 * DAY, event: 'test.gone' },
      { at: now - 29 * DAY, event: 'test.kept' },
    ]);
    const report = await idp.purge();
    assert.equal(report.ran && report.purged['audit-log'], 1);
    assert.deepEqual(await idp.db('audit_log').where('event', 'like', 'test.%').pluck('event'), ['test.kept']);
  } finally {
    await idp.close();
  }
});

test('a purge step of its own runs in its place in the list, under the same lock', async () => {
  const database = await freshDatabase();
  const idp = await startIdpOn(database);
  try {
    const now = Date.now();
    await seed(idp.db, now);
    const seen: string[] = [];
    const step = {
      name: 'custom',
      // Sees the expired sessions before the plain delete of oidc_store removes them.
      run: async (db: Db) => (seen.push(...(await db('oidc_store').where('expires_at', '<', now).pluck('id'))), seen.length),
    };
    const report = await runPurge(idp.db, { now, auditRetentionDays: 400, targets: [step, ...PURGES] });
    assert.equal(report.ran && report.purged.custom, 2);
    assert.deepEqual(seen.sort(), ['gone', 'gone']);
    assert.equal(report.ran && report.purged['expired-sessions'], 1);
    assert.equal(report.ran && report.purged.oidc, 1);
  } finally {
    await idp.close();
    await database.drop();
  }
});
