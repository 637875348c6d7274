// Starts a real hk-idp server for a test: a free port, a fresh database (a temporary SQLite file, or
// a fresh schema in the PostgreSQL named by TEST_DATABASE_URL), fast bcrypt, the dev outbox.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import { loadSettings, type Settings } from '../../config/settings.ts';
import { createIdp, type Idp, type IdpOptions } from '../../src/server.ts';

export type TestIdp = Idp & { issuer: string };

export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A fresh, empty database URL (+ schema for PostgreSQL) and a function that removes it. */
export async function freshDatabase(): Promise<{ databaseUrl: string; schema?: string; dataDir: string; drop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hk-idp-test-'));
  const pg = process.env.TEST_DATABASE_URL;
  if (!pg) {
    return { databaseUrl: `sqlite:${join(dataDir, 'test.sqlite')}`, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: pg });
  await admin.raw(`CREATE SCHEMA ${schema}`);
  await admin.destroy();
  return {
    databaseUrl: pg,
    schema,
    dataDir,
    async drop() {
      const cleanup = knex({ client: 'pg', connection: pg });
      await cleanup.raw(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function testSettings(env: Record<string, string> = {}): Settings {
  return loadSettings({
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    COOKIE_KEYS: 'test-cookie-key-0123456789abcdefghijklmnop',
    PASSWORD_PEPPER: 'test-pepper-0123456789abcdefghijklmnopqrstuv',
    DEMO: 'false',
    ...env,
  });
}

export async function startIdp(env: Record<string, string> = {}, options: IdpOptions = {}): Promise<TestIdp> {
  const database = await freshDatabase();
  const idp = await startIdpOn(database, env, options);
  return {
    ...idp,
    async close() {
      await idp.close();
      await database.drop();
    },
  };
}

/** A server on a database the test owns: several instances side by side, or one started after another ("restart"). */
export async function startIdpOn(
  database: { databaseUrl: string; schema?: string; dataDir: string },
  env: Record<string, string> = {},
  options: IdpOptions = {},
): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const settings = testSettings({ DATABASE_URL: database.databaseUrl, DATA_DIR: database.dataDir, PORT: String(port), ISSUER: issuer, ...env });
  const idp = await createIdp(settings, { schema: database.schema, print: () => {}, log: () => {}, ...options });
  await idp.listen(port, '127.0.0.1');
  return { ...idp, issuer };
}
