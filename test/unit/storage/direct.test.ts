// Fixed SQL past knex (src/storage/direct.ts): on SQLite it runs at once only when no query or
// transaction holds the connection; a statement sent while a transaction is open is never part of it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../../src/storage/db.ts';
import { changeRows, firstRow } from '../../../src/storage/direct.ts';

test('a direct statement waits for an open transaction and is not part of it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-direct-'));
  const db = openDatabase(`sqlite:${join(dir, 'x.sqlite')}`);
  try {
    await db.schema.createTable('t', (t) => t.integer('n'));
    const statements: string[] = [];
    db.on('query', (query: { sql: string }) => statements.push(query.sql));
    assert.equal(await changeRows(db, 'insert into t (n) values (?)', [1]), 1);
    assert.deepEqual({ ...(await firstRow(db, 'select n from t where n = ?', [1])) }, { n: 1 });
    assert.deepEqual(statements, ['insert into t (n) values (?)', 'select n from t where n = ?'], 'counted as knex queries');

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let opened = false;
    const rolledBack = db
      .transaction(async (trx) => {
        await trx('t').insert({ n: 2 });
        opened = true;
        await held;
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    while (!opened) await new Promise((resolve) => setImmediate(resolve));
    // Sent while the transaction is open: neither sees its row nor is undone with it.
    const read = firstRow(db, 'select count(*) as c from t', []);
    const write = changeRows(db, 'insert into t (n) values (?)', [3]);
    release();
    assert.equal(await rolledBack, 'rolled back');
    assert.equal(Number((await read)!.c), 1);
    assert.equal(await write, 1);
    assert.deepEqual((await db('t').orderBy('n')).map((row) => row.n), [1, 3]);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
