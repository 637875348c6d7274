// Opens the database (SQLite file by default, PostgreSQL for scale) and applies the migrations.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knex, { type Knex } from 'knex';
import { migrationSource } from '../../migrations/index.ts';

export type Db = Knex;

export function openDatabase(url: string, options: { schema?: string } = {}): Db {
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    return knex({
      client: 'sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // A failed query's message must not carry its bound values (a code, a first-time password).
      compileSqlOnError: false,
      pool: {
        min: 1,
        max: 1,
        // WAL lets readers work during writes; busy_timeout waits out a writer instead of failing.
        afterCreate(conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
          conn.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;', (err) => done(err, conn));
        },
      },
    });
  }
  return knex({
    client: 'pg',
    connection: url,
    compileSqlOnError: false,
    searchPath: options.schema ? [options.schema] : undefined,
    pool: { min: 0, max: 10 },
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
