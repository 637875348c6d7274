// Migrations as a deploy step: with MIGRATE_ON_START=false the server applies nothing (so its
// database user needs no schema rights), /readyz answers 503 while the schema is behind, and
// `hk-idp migrate` brings it up to date.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import knex from 'knex';
import { runCli } from '../../src/cli/run.ts';
import { migrationSource } from '../../migrations/index.ts';
import { createAdapterFactory, endEverythingOf } from '../../src/oidc/adapter.ts';
import { digestOf } from '../../src/security/digest.ts';
import { migrate, openDatabase, pendingMigrations } from '../../src/storage/db.ts';
import { freshDatabase, startIdpOn, usingPostgres } from '../support/idp.ts';

test('MIGRATE_ON_START=false: /readyz is 503 while the schema is behind, until `hk-idp migrate`', async () => {
  const database = await freshDatabase();
  const db = openDatabase(database.databaseUrl, { schema: database.schema });
  await migrate(db);
  // The schema one release behind: the newest migration not yet applied.
  const newest = (await migrationSource.getMigrations([])).at(-1)!;
  await db.migrate.down({ migrationSource });
  const idp = await startIdpOn(database, { MIGRATE_ON_START: 'false' });
  try {
    const behind = await fetch(`${idp.base}/readyz`);
    assert.equal(behind.status, 503);
    assert.deepEqual(await behind.json(), { status: 'schema_behind', pendingMigrations: [newest] });

    const out: string[] = [];
    assert.equal(await runCli(['migrate'], { db, settings: idp.settings, out: (l) => out.push(l), err: (l) => out.push(l) }), 0);
    assert.deepEqual(out, [`applied ${newest}`]);
    const ready = await fetch(`${idp.base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ready');
  } finally {
    await db.destroy();
    await idp.close();
    await database.drop();
  }
});

test('the migrations are listed in number order; a database that applied them in the old order has nothing pending', async () => {
  const names = await migrationSource.getMigrations([]);
  assert.deepEqual(names, [...names].sort());
  // Until today 008_orders came after 013_ops: a database migrated then keeps working unchanged.
  const oldOrder = [...names.filter((name) => name !== '008_orders' && name <= '013_ops'), '008_orders', ...names.filter((name) => name > '013_ops')];
  const database = await freshDatabase();
  const db = openDatabase(database.databaseUrl, { schema: database.schema });
  try {
    await db.migrate.latest({ migrationSource: { ...migrationSource, getMigrations: async () => oldOrder } });
    assert.deepEqual((await db('knex_migrations').orderBy('id').pluck('name')), oldOrder);
    assert.deepEqual(await pendingMigrations(db), []);
    assert.deepEqual(await migrate(db), []);
  } finally {
    await db.destroy();
    await database.drop();
  }
});

test('016: tokens written before their grant key existed get it, so their grant\'s revocation and their account\'s end find them', async () => {
  const database = await freshDatabase();
  const db = openDatabase(database.databaseUrl, { schema: database.schema });
  try {
    await migrate(db);
    while (!(await pendingMigrations(db)).includes('016_token_indexes')) await db.migrate.down({ migrationSource });
    // More rows than one batch of the migration: three accounts with a grant each, their tokens without a grant key.
    const expires_at = Date.now() + 3_600_000;
    const tokens = Array.from({ length: 1_200 }, (_, i) => ({
      model: i % 2 ? 'AccessToken' : 'RefreshToken', id: `old-${i}`, payload: '{}', grant_id: `grant-${i % 3}`, account_id: `acc-${i % 3}`, expires_at,
    }));
    await db.batchInsert('oidc_store', tokens, 200);
    await db('oidc_store').insert([0, 1, 2].map((k) => ({ model: 'Grant', id: digestOf(`grant-${k}`), payload: '{}', account_id: `acc-${k}`, expires_at })));

    const updates: string[] = [];
    const onQuery = (query: { sql: string }) => /^update oidc_store set grant_key/i.test(query.sql) && updates.push(query.sql);
    db.on('query', onQuery);
    assert.equal((await migrate(db))[0], '016_token_indexes');
    db.off('query', onQuery);
    assert.equal(updates.length, 3, 'one statement for each batch of 500');
    const rows = await db('oidc_store').whereNot({ model: 'Grant' }).select('grant_id', 'grant_key');
    assert.equal(rows.length, 1_200);
    assert.deepEqual(rows.filter((row) => row.grant_key !== digestOf(row.grant_id!)), [], 'every token has its grant key');

    await endEverythingOf(db, 'acc-0', Date.now());
    const left = async (accountId: string) => db('oidc_store').where({ account_id: accountId }).count({ n: '*' }).first().then((row) => Number(row!.n));
    assert.deepEqual([await left('acc-0'), await left('acc-1'), await left('acc-2')], [0, 401, 401], 'the account\'s grant and its 400 tokens, nothing of the others');
    await (createAdapterFactory(db)('AccessToken') as { revokeByGrantId(id: string): Promise<void> }).revokeByGrantId('grant-1');
    assert.deepEqual(
      await db('oidc_store').where({ account_id: 'acc-1' }).groupBy('model').orderBy('model').select('model').count({ n: '*' }).then((r) => r.map((row) => [row.model, Number(row.n)])),
      [['Grant', 1], ['RefreshToken', 200]],
      'the library\'s revoke of one model by grant',
    );
  } finally {
    await db.destroy();
    await database.drop();
  }
});

test('MIGRATE_ON_START=false on an empty database: the start stops with what to do', async () => {
  const database = await freshDatabase();
  try {
    await assert.rejects(startIdpOn(database, { MIGRATE_ON_START: 'false' }), /run `hk-idp migrate` first/);
  } finally {
    await database.drop();
  }
});

test('PostgreSQL: a runtime role without schema rights serves once the deploy step migrated', { skip: !usingPostgres() }, async () => {
  const database = await freshDatabase();
  const role = `hk_runtime_${randomBytes(4).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: process.env.TEST_DATABASE_URL });
  try {
    const db = openDatabase(database.databaseUrl, { schema: database.schema });
    await migrate(db);
    await db.destroy();
    // Data rights only: no CREATE on the schema, so no migration could run as this role.
    await admin.raw(`CREATE ROLE ${role} LOGIN`);
    await admin.raw(`GRANT USAGE ON SCHEMA ${database.schema} TO ${role}`);
    await admin.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${database.schema} TO ${role}`);
    await admin.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${database.schema} TO ${role}`);
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.username = role;
    const runtime = { ...database, databaseUrl: url.href };

    await assert.rejects(
      (async () => {
        const asRuntime = openDatabase(runtime.databaseUrl, { schema: database.schema });
        try {
          await asRuntime.schema.createTable('probe', (t) => t.integer('x'));
        } finally {
          await asRuntime.destroy();
        }
      })(),
      /permission denied/,
      'the role really lacks schema rights',
    );
    const idp = await startIdpOn(runtime, { MIGRATE_ON_START: 'false' });
    try {
      assert.equal((await fetch(`${idp.base}/readyz`)).status, 200);
      assert.equal((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status, 200);
    } finally {
      await idp.close();
    }
  } finally {
    await database.drop();
    await admin.raw(`DROP OWNED BY ${role}`).catch(() => {});
    await admin.raw(`DROP ROLE IF EXISTS ${role}`);
    await admin.destroy();
  }
});

