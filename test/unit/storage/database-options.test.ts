// Database settings: PostgreSQL pool, statement timeout and TLS from the environment; SQLite's pragmas.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadSettings } from '../../../config/settings.ts';
import { openDatabase, pgSsl, SQLITE_MMAP_BYTES, withoutSslParameters, type Db } from '../../../src/storage/db.ts';
import { untimed } from '../../../migrations/index.ts';

const KEY = 'k'.repeat(32);
const production = { NODE_ENV: 'production', ISSUER: 'https://login.hk.no', TRUST_PROXY_HOPS: '1', COOKIE_KEYS: KEY, PASSWORD_PEPPER: KEY, KEY_ENCRYPTION_KEY: KEY, DEV_OUTBOX: 'true' };
const failsOn = (env: Record<string, string>, variable: string, message?: RegExp) =>
  assert.throws(() => loadSettings(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && (!message || message.test(error.message)));
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('pool size and statement timeout: defaults, values, and bad values named', () => {
  const defaults = loadSettings({ NODE_ENV: 'test', DATA_DIR: tmpdir() }).database;
  assert.deepEqual(defaults, { poolMax: 10, statementTimeoutMs: 10_000, sslMode: null, sslCa: null });
  const set = loadSettings({ NODE_ENV: 'test', DATA_DIR: tmpdir(), DATABASE_POOL_MAX: '25', DATABASE_STATEMENT_TIMEOUT_MS: '0' }).database;
  assert.equal(set.poolMax, 25);
  assert.equal(set.statementTimeoutMs, 0);
  failsOn({ NODE_ENV: 'test', DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX');
  failsOn({ NODE_ENV: 'test', DATABASE_POOL_MAX: '1' }, 'DATABASE_POOL_MAX');
  failsOn({ NODE_ENV: 'test', DATABASE_STATEMENT_TIMEOUT_MS: 'soon' }, 'DATABASE_STATEMENT_TIMEOUT_MS');
});

test('TLS: sslmode from the URL, a CA file means verify-full, and a remote database in production needs a say', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-db-settings-'));
  try {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, CA);
    const remote = 'postgres://idp:secret-password@db.example.net:5432/idp';
    assert.equal(loadSettings({ ...production, DATABASE_URL: `${remote}?sslmode=verify-full` }).database.sslMode, 'verify-full');
    const withCa = loadSettings({ ...production, DATABASE_URL: remote, DATABASE_SSL_CA_FILE: caFile }).database;
    assert.deepEqual([withCa.sslMode, withCa.sslCa], ['verify-full', CA]);
    assert.equal(loadSettings({ ...production, DATABASE_URL: `${remote}?sslmode=disable` }).database.sslMode, 'disable', 'an explicit choice is respected');
    // Unset on a remote host in production: refused, and the message never repeats the password.
    assert.throws(() => loadSettings({ ...production, DATABASE_URL: remote }), (error: unknown) => error instanceof ConfigError && error.variable === 'DATABASE_URL' && !error.message.includes('secret-password'));
    assert.equal(loadSettings({ ...production, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }).database.sslMode, null, 'loopback needs no TLS');
    failsOn({ ...production, DATABASE_URL: `${remote}?sslmode=prefer` }, 'DATABASE_URL', /sslmode must be one of/);
    failsOn({ ...production, DATABASE_URL: `${remote}?sslmode=verify-full&sslrootcert=/ca.pem` }, 'DATABASE_URL', /DATABASE_SSL_CA_FILE/);
    failsOn({ ...production, DATABASE_URL: remote, DATABASE_SSL_CA_FILE: join(dir, 'missing.pem') }, 'DATABASE_SSL_CA_FILE');
    writeFileSync(join(dir, 'empty.pem'), 'not a certificate');
    failsOn({ ...production, DATABASE_URL: remote, DATABASE_SSL_CA_FILE: join(dir, 'empty.pem') }, 'DATABASE_SSL_CA_FILE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sslmode becomes node-postgres TLS options as libpq means them; the URL loses its TLS parameters', () => {
  assert.equal(pgSsl({ sslMode: null, sslCa: null }), false);
  assert.equal(pgSsl({ sslMode: 'disable', sslCa: CA }), false);
  assert.deepEqual(pgSsl({ sslMode: 'require', sslCa: null }), { rejectUnauthorized: false });
  assert.deepEqual(pgSsl({ sslMode: 'verify-full', sslCa: CA }), { rejectUnauthorized: true, ca: CA });
  assert.deepEqual(pgSsl({ sslMode: 'verify-full', sslCa: null }), { rejectUnauthorized: true }, 'the system CAs');
  const verifyCa = pgSsl({ sslMode: 'verify-ca', sslCa: CA }) as { rejectUnauthorized: boolean; ca: string; checkServerIdentity: () => unknown };
  assert.equal(verifyCa.rejectUnauthorized, true);
  assert.equal(verifyCa.checkServerIdentity(), undefined, 'the chain is checked, the host name is not');
  assert.equal(withoutSslParameters('postgres://u:p@db.example.net/idp?sslmode=verify-full&application_name=x'), 'postgres://u:p@db.example.net/idp?application_name=x');
});

test('SQLite: WAL with synchronous=NORMAL; the file read through a memory map, a small page cache', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-db-pragmas-'));
  const db = openDatabase(`sqlite:${join(dir, 'x.sqlite')}`);
  try {
    assert.equal((await db.raw('PRAGMA journal_mode'))[0].journal_mode, 'wal');
    assert.equal((await db.raw('PRAGMA synchronous'))[0].synchronous, 1, '1 = NORMAL');
    assert.equal((await db.raw('PRAGMA mmap_size'))[0].mmap_size, SQLITE_MMAP_BYTES);
    assert.equal((await db.raw('PRAGMA cache_size'))[0].cache_size, -2000, '2 MB');
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL: the statement timeout cancels a long statement', { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' }, async () => {
  // (A second: the quick statements below must stay under it on a loaded machine too.)
  const db = openDatabase(process.env.TEST_DATABASE_URL!, { statementTimeoutMs: 1000, poolMax: 2 });
  try {
    await assert.rejects(db.raw('SELECT pg_sleep(3)'), /statement timeout/);
    assert.equal((await db.raw('SELECT 1 AS one')).rows[0].one, 1, 'a quick statement runs');
    assert.equal((await db.raw('SHOW application_name')).rows[0].application_name, 'hk-idp');
  } finally {
    await db.destroy();
  }
});

test('PostgreSQL: a migration runs without the statement timeout (it may rebuild a big index)', { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' }, async () => {
  const db = openDatabase(process.env.TEST_DATABASE_URL!, { statementTimeoutMs: 1000, poolMax: 2 });
  try {
    const sleep = (trx: Db) => trx.raw('SELECT pg_sleep(1.5)');
    // knex runs each migration in a transaction of its own, as here.
    await assert.rejects(db.transaction((trx) => sleep(trx)), /statement timeout/, 'a request-sized timeout would cut it');
    await db.transaction((trx) => untimed({ up: sleep, down: sleep }).up(trx));
    await assert.rejects(db.raw('SELECT pg_sleep(1.5)'), /statement timeout/, 'the timeout is back outside the migration');
  } finally {
    await db.destroy();
  }
});

test('openDatabase without settings keeps the TLS the URL asks for', async () => {
  const ssl = (url: string) => (openDatabase(url) as unknown as { client: { config: { connection: { ssl: unknown } } } }).client.config.connection.ssl;
  assert.deepEqual(ssl('postgres://u@db.example.net/hk?sslmode=verify-full'), { rejectUnauthorized: true });
  assert.deepEqual(ssl('postgres://u@db.example.net/hk?sslmode=require'), { rejectUnauthorized: false });
  assert.equal(ssl('postgres://u@db.example.net/hk'), false);
  assert.throws(() => openDatabase('postgres://u@db.example.net/hk?sslmode=prefer'), /sslmode must be one of/);
});

test('an unreadable database URL is refused without repeating it (it holds the password)', () => {
  assert.throws(
    () => openDatabase('postgres://u:s3cret-password@[db.example.net/hk'),
    (error: Error) => /must be a URL like/.test(error.message) && !JSON.stringify({ ...error, message: error.message, stack: error.stack }).includes('s3cret'),
  );
});
