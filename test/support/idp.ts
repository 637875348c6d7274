// Starts a real hk-idp server for a test: a free port, a fresh database (a temporary SQLite file, or
// a fresh schema in the PostgreSQL named by TEST_DATABASE_URL), fast bcrypt, the dev outbox.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import { loadSettings, type Settings } from '../../config/settings.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createIdp, type Idp, type IdpOptions } from '../../src/server.ts';

export type TestIdp = Idp & {
  issuer: string;
  /** Where this instance listens (another() instances share the issuer but not the port). */
  base: string;
  /** Stops this instance and starts a new one on the same database and port (a restart), optionally reconfigured. */
  restart(changes?: Partial<Settings>): Promise<TestIdp>;
  /** Starts a second instance on the same database (scale-out), on its own port. */
  another(): Promise<TestIdp>;
};

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
    KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdefgh',
    DEMO: 'false',
    // Every test request comes from 127.0.0.1: limits are generous unless a test sets its own.
    SIGNIN_IP_FAILURES_PER_HOUR: '100000',
    SEND_LIMIT_IP_HOUR: '100000',
    SEND_LIMIT_RECIPIENT_15MIN: '1000',
    SEND_LIMIT_RECIPIENT_DAY: '1000',
    ...env,
  });
}

export async function startIdp(env: Record<string, string> = {}, options: IdpOptions = {}): Promise<TestIdp> {
  const database = await freshDatabase();
  return startIdpOn(database, env, options, () => database.drop());
}

/**
 * A server on a database the test owns. `close` stops every instance started from it (restarts,
 * others) and then runs `cleanup` (dropping the database, when startIdp made it).
 */
export async function startIdpOn(
  database: { databaseUrl: string; schema?: string; dataDir: string },
  env: Record<string, string> = {},
  options: IdpOptions = {},
  cleanup: () => Promise<void> = async () => {},
): Promise<TestIdp> {
  const port = await freePort();
  // An ISSUER given with "{port}" gets the chosen port (e.g. https://127.0.0.1:{port} behind a pretend proxy).
  const issuer = (env.ISSUER ?? 'http://127.0.0.1:{port}').replace('{port}', String(port));
  const settings = testSettings({ DATABASE_URL: database.databaseUrl, DATA_DIR: database.dataDir, PORT: String(port), ...env, ISSUER: issuer });
  const instances = new Set<Idp>();

  async function launch(listenPort: number, current: Settings): Promise<TestIdp> {
    const idp = await createIdp(current, { schema: database.schema, print: () => {}, logger: silentLogger(), ...options });
    await idp.listen(listenPort, '127.0.0.1');
    instances.add(idp);
    return {
      ...idp,
      issuer,
      base: `http://127.0.0.1:${listenPort}`,
      async restart(changes = {}) {
        await idp.close();
        instances.delete(idp);
        return launch(listenPort, { ...current, ...changes });
      },
      async another() {
        return launch(await freePort(), current);
      },
      async close() {
        for (const instance of instances) await instance.close();
        instances.clear();
        await cleanup();
      },
    };
  }
  return launch(port, settings);
}
