// Opens the database (SQLite file by default, PostgreSQL for scale) and applies the migrations.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import knex, { type Knex } from 'knex';
import { parseDatabaseUrl, sslModeOf, type DatabaseOptions } from '../../config/settings.ts';
import { migrationSource } from '../../migrations/index.ts';
import { NodeSqliteClient } from './node-sqlite.ts';
// Types every table's rows (`db('accounts')` gives AccountRows).
import type {} from './tables.ts';

export type Db = Knex;

const DEFAULTS: DatabaseOptions = { poolMax: 10, statementTimeoutMs: 10_000, sslMode: null, sslCa: null };
/** How much of a SQLite database file is read through a memory map (beyond it, by reads). */
export const SQLITE_MMAP_BYTES = 1 << 30;

/** The TLS options node-postgres gets for an sslmode (libpq's meanings). */
export function pgSsl(options: Pick<DatabaseOptions, 'sslMode' | 'sslCa'>): false | ConnectionOptions {
  switch (options.sslMode) {
    case null:
    case 'disable':
      return false;
    // Encrypted, but the server is not authenticated (libpq's "require"): only inside a trusted network.
    case 'require':
      return { rejectUnauthorized: false };
    // The certificate chains to the CA; the host name is not checked.
    case 'verify-ca':
      return { rejectUnauthorized: true, ...(options.sslCa ? { ca: options.sslCa } : {}), checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(options.sslCa ? { ca: options.sslCa } : {}) };
  }
}

/** The URL without its TLS parameters: node-postgres would let them override the options built here. */
export function withoutSslParameters(url: string): string {
  const parsed = parseDatabaseUrl(url);
  for (const name of ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat']) parsed.searchParams.delete(name);
  return parsed.href;
}

/**
 * Lets the event loop turn (timers, sockets: requests waiting). On SQLite every statement runs on this
 * thread and a batch job's `await` of one settles at once, so a loop of batches would otherwise hold
 * the thread until it ends; batch jobs call this between batches.
 */
export const letRequestsRun = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function openDatabase(url: string, options: { schema?: string } & Partial<DatabaseOptions> = {}): Db {
  const { schema, ...given } = options;
  const settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) } as DatabaseOptions;
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    // Node's own SQLite: a statement runs on this thread in microseconds (see node-sqlite.ts).
    return knex({
      client: NodeSqliteClient as never,
      connection: { filename },
      useNullAsDefault: true,
      // A failed query's message must not carry its bound values (a code, a first-time password).
      compileSqlOnError: false,
      pool: {
        // One connection: SQLite has one writer, and a second connection would only wait for the lock.
        min: 1,
        max: 1,
        // WAL lets readers work during writes; a writer waits out another's lock in node-sqlite.ts (not
        // in SQLite's busy handler, which would block this thread).
        // synchronous=NORMAL: a commit is not fsynced, the WAL is at each checkpoint. The database
        // never corrupts, but a power loss (not a crash of the process) can lose the last commits
        // (sessions and tokens of the last second or so; those people sign in again). It is what
        // makes a refresh or sign-in not wait for the disk (see README, Capacity).
        // The database file is read through a memory map (the operating system's page cache, no copy)
        // and SQLite's own page cache stays at its default 2 MB: SQLite sweeps that cache at every
        // commit, at a cost that grows with its size (with 64 MB, ~10 µs of every token write).
        // The trade-off (README, "A memory map and a small page cache"): a disk read error stops the process.
        afterCreate(conn: { exec(sql: string): void }, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.exec(
              `PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 0; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -2000; PRAGMA mmap_size = ${SQLITE_MMAP_BYTES};`,
            );
            done(null, conn);
          } catch (error) {
            done(error as Error, conn);
          }
        },
      },
    });
  }
  return knex({
    client: 'pg',
    connection: {
      connectionString: withoutSslParameters(url),
      ssl: pgSsl({ ...settings, sslMode: settings.sslMode ?? sslModeOf(parseDatabaseUrl(url)) }),
      application_name: 'hk-idp',
      ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
    },
    compileSqlOnError: false,
    searchPath: schema ? [schema] : undefined,
    pool: { min: 0, max: settings.poolMax },
  });
}

export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}

/** Applied before anything else: without it there is no schema at all. */
export const FIRST_MIGRATION = '001_initial';

/** Migrations this code knows that the database has not applied (the schema is behind). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const [, pending] = await db.migrate.list({ migrationSource });
  return (pending as unknown[]).map((migration) => (typeof migration === 'string' ? migration : String((migration as { file?: string }).file ?? migration)));
}
