// Two connections to one SQLite file in one process (a second instance, or the CLI beside the server):
// a writer waits for the other's lock without blocking the event loop, so the holder can finish.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { openDatabase } from '../../../src/storage/db.ts';
import { changeRows, firstRow } from '../../../src/storage/direct.ts';
import { Checkpointer } from '../../../src/storage/node-sqlite.ts';

test('a write waits out another connection’s transaction instead of failing or freezing the process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-node-sqlite-'));
  const file = `sqlite:${join(dir, 'x.sqlite')}`;
  const a = openDatabase(file);
  const b = openDatabase(file);
  try {
    await a.schema.createTable('t', (t) => t.integer('n'));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const holder = a.transaction(async (trx) => {
      await trx('t').insert({ n: 1 });
      order.push('a wrote');
      await held; // the lock is held across this await
      order.push('a commits');
    });
    while (!order.includes('a wrote')) await new Promise((resolve) => setImmediate(resolve));
    const waiter = b('t').insert({ n: 2 }).then(() => order.push('b wrote'));
    // The event loop still runs while b waits: a timer fires and lets a finish.
    setTimeout(release, 50);
    await Promise.all([holder, waiter]);
    assert.deepEqual(order, ['a wrote', 'a commits', 'b wrote']);
    assert.deepEqual((await b('t').orderBy('n')).map((row) => row.n), [1, 2]);
  } finally {
    await a.destroy();
    await b.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node:sqlite rows are plain objects with their columns in order, through knex and run directly', async () => {
  const db = openDatabase('sqlite::memory:');
  try {
    const [row] = await db.raw('SELECT 1 AS one');
    assert.deepStrictEqual(row, { one: 1 });
    await db.raw("create table t (a integer, b text, c text)");
    await db.raw("insert into t values (1, 'x', null), (2, 'y', 'z')");
    const expected = [{ a: 1, b: 'x', c: null }, { a: 2, b: 'y', c: 'z' }];
    // Through knex's runner (all rows) and past it (src/storage/direct.ts: the first row, on the connection at once).
    const viaKnex = await db('t').orderBy('a');
    assert.deepStrictEqual(viaKnex, expected);
    const direct = [await firstRow(db, 'select a, b, c from t where a = ?', [1]), await firstRow(db, 'select a, b, c from t where a = ?', [2])];
    assert.deepStrictEqual(direct, expected);
    assert.equal(await firstRow(db, 'select a, b, c from t where a = ?', [3]), undefined);
    for (const r of [...viaKnex, ...direct]) assert.deepEqual(Object.keys(r!), ['a', 'b', 'c']);
  } finally {
    await db.destroy();
  }
});

test('the WAL is checkpointed into the database file by the checkpointer thread, not by the writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-node-sqlite-'));
  const path = join(dir, 'x.sqlite');
  const db = openDatabase(`sqlite:${path}`);
  try {
    await db.schema.createTable('t', (t) => t.text('p'));
    const before = statSync(path).size;
    // ~100 pages: far below the connection's own checkpoint threshold, so only the thread moves them.
    for (let i = 0; i < 100; i++) await db('t').insert({ p: 'x'.repeat(3000) });
    // The thread may copy part of the rows while they are still being written (a tick every 100 ms),
    // so wait for all of them, not for the first growth.
    const reached = () => statSync(path).size > before + 100 * 3000;
    const deadline = Date.now() + 5000;
    while (!reached() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(reached(), 'the rows reached the database file');
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('while a reader keeps an old snapshot (a backup, a long read elsewhere), the checkpointer does not keep a writer out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-node-sqlite-'));
  const path = join(dir, 'x.sqlite');
  const writer = new DatabaseSync(path);
  // A short wait only (a production write waits up to 5 s): a checkpointer holding the write lock again and again refuses some.
  writer.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; PRAGMA busy_timeout = 250; CREATE TABLE t (p TEXT)');
  const reader = new DatabaseSync(path);
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) AS n FROM t').get();
  // A checkpointer that would try to start the WAL over after 2 pages, every millisecond.
  const checkpointer = new Checkpointer(path, { everyMs: 1, restartPages: 2, backoffTicks: 2 });
  try {
    const insert = writer.prepare('INSERT INTO t VALUES (?)');
    let written = 0;
    let refused = 0;
    // Writes for a while (many of the checkpointer's turns), as a busy instance would; a stalled
    // machine gets the time to write as many rows as a quick one.
    for (const until = Date.now() + 500; Date.now() < until || written < 200; written++) {
      try {
        insert.run('x'.repeat(3000));
      } catch (error) {
        if (!/locked|busy/i.test(String(error))) throw error;
        refused++;
      }
      if (written % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(refused, 0, `${refused} of ${written} writes found the database locked`);
  } finally {
    await checkpointer.stop();
    reader.exec('COMMIT');
    reader.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `check` with an instance's database on a new file and another process's connection to it (the CLI). */
async function besideAnotherConnection(check: (db: ReturnType<typeof openDatabase>, other: DatabaseSync) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hk-node-sqlite-'));
  const filename = join(dir, 'x.sqlite');
  const db = openDatabase(`sqlite:${filename}`);
  const other = new DatabaseSync(filename);
  try {
    await check(db, other);
  } finally {
    other.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('while a write waits out another connection’s lock, reads on the waiting connection go on', () =>
  besideAnotherConnection(async (db, other) => {
    await db.schema.createTable('t', (t) => t.integer('n'));
    // Another process (a CLI import) holds the write lock.
    other.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
    let written = false;
    // knex announces a query just before it runs it: once announced, the write has met the lock and waits.
    const tried = new Promise((resolve) => db.once('query', resolve));
    const write = db('t').insert({ n: 2 }).then(() => (written = true));
    await tried;
    // The read runs at once, past the waiting write (before, it queued behind it until the lock was gone).
    const read = await firstRow<{ count: number }>(db, 'select count(*) as count from t', []);
    assert.equal(read?.count, 0);
    assert.equal(written, false);
    other.exec('COMMIT');
    await write;
    assert.deepEqual((await db('t').orderBy('n')).map((row) => row.n), [1, 2]);
  }));

test('a statement prepared before another connection adds or drops a column answers the new columns', () =>
  besideAnotherConnection(async (db, other) => {
    await db.raw('create table t (a integer, b text, c text)');
    await db.raw("insert into t values (1, 'bee', 'sea')");
    // knex's `first()` is `select * … limit ?`: one SQL text, prepared once on the connection.
    assert.deepStrictEqual(await db('t').first(), { a: 1, b: 'bee', c: 'sea' });
    // `hk-idp migrate` beside the running instance.
    other.exec("ALTER TABLE t ADD COLUMN d text DEFAULT 'dee'");
    assert.deepStrictEqual(await db('t').first(), { a: 1, b: 'bee', c: 'sea', d: 'dee' });
    other.exec('ALTER TABLE t DROP COLUMN b');
    assert.deepStrictEqual(await db('t').first(), { a: 1, c: 'sea', d: 'dee' });
  }));

test('claims made while another connection holds the lock still have one winner', () =>
  besideAnotherConnection(async (db, other) => {
    await db.raw('create table t (id integer primary key, claimed integer not null)');
    await db.raw('insert into t values (1, 0)');
    other.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (2, 0)');
    // A write through knex waits for the lock; the claims come in beside it, each one conditional update.
    const tried = new Promise((resolve) => db.once('query', resolve));
    // (A knex query runs once asked for its result: `then` starts it.)
    const write = db('t').insert({ id: 3, claimed: 0 }).then(() => undefined);
    await tried;
    const claim = () => changeRows(db, 'update t set claimed = 1 where id = ? and claimed = 0', [1]);
    // Four while the lock is held (they queue behind the write), four once it is gone while the write
    // still waits for its next try (they run at once on the connection).
    const claims = Array.from({ length: 4 }, claim);
    other.exec('COMMIT');
    claims.push(...Array.from({ length: 4 }, claim));
    const won = await Promise.all(claims);
    await write;
    assert.deepEqual(won.sort(), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual((await db('t').orderBy('id')).map((row) => row.id), [1, 2, 3]);
  }));
