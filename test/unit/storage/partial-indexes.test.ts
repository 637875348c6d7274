// Migration 012: uid and user_code are indexed only where present; look-ups by them still find rows,
// and the migration rolls back and forward on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrationSource } from '../../../migrations/index.ts';
import { createAdapterFactory } from '../../../src/oidc/adapter.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

const indexNames = async (): Promise<string[]> => {
  const pg = db.client.config.client === 'pg';
  const rows = pg
    ? (await db.raw("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'oidc_store' AND schemaname = current_schema()")).rows
    : await db.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'oidc_store'");
  return rows.map((row: { name: string }) => row.name).sort();
};

test('sessions are found by uid and device codes by user code through the partial indexes', async () => {
  const names = await indexNames();
  assert.ok(names.includes('oidc_store_uid_present') && names.includes('oidc_store_user_code_present'));
  assert.ok(!names.includes('oidc_store_uid_index'));
  const adapter = (model: string) => createAdapterFactory(db)(model) as unknown as { upsert(id: string, p: object, e: number): Promise<void>; findByUid(uid: string): Promise<unknown>; findByUserCode(c: string): Promise<unknown> };
  await adapter('Session').upsert('s-1', { uid: 'uid-1', kind: 'Session' }, 60);
  await adapter('AccessToken').upsert('t-1', { kind: 'AccessToken' }, 60);
  await adapter('DeviceCode').upsert('d-1', { userCode: 'ABCD-EFGH', kind: 'DeviceCode' }, 60);
  assert.deepEqual(await adapter('Session').findByUid('uid-1'), { uid: 'uid-1', kind: 'Session' });
  assert.deepEqual(await adapter('DeviceCode').findByUserCode('ABCD-EFGH'), { userCode: 'ABCD-EFGH', kind: 'DeviceCode' });
});

test('migration 012 rolls back to the full indexes and forward again', async () => {
  await db.migrate.down({ migrationSource, name: '012_bench' });
  const back = await indexNames();
  assert.ok(back.includes('oidc_store_uid_index') && !back.includes('oidc_store_uid_present'));
  await db.migrate.up({ migrationSource, name: '012_bench' });
  assert.ok((await indexNames()).includes('oidc_store_uid_present'));
});
