// The migrations, in order of their number: knex applies the pending ones in the order of this list.
// A database records each by name, so one that applied them in another order has nothing pending.
// The same files serve SQLite and PostgreSQL.
import type { Knex } from 'knex';
import * as initial from './001_initial.ts';
import * as outbox from './002_outbox.ts';
import * as firstTimePasswords from './003_first_time_passwords.ts';
import * as business from './004_business.ts';
import * as counters from './006_counters.ts';
import * as crowd from './007_crowd.ts';
import * as orders from './008_orders.ts';
import * as backchannel from './010_backchannel.ts';
import * as bench from './012_bench.ts';
import * as ops from './013_ops.ts';
import * as console from './014_console.ts';
import * as tokenContext from './015_token_context.ts';
import * as tokenIndexes from './016_token_indexes.ts';

type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };

const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_outbox': outbox,
  '003_first_time_passwords': firstTimePasswords,
  '004_business': business,
  '006_counters': counters,
  '007_crowd': crowd,
  '008_orders': orders,
  '010_backchannel': backchannel,
  '012_bench': bench,
  '013_ops': ops,
  '014_console': console,
  '015_token_context': tokenContext,
  '016_token_indexes': tokenIndexes,
};

/**
 * A migration may rebuild an index on the biggest table: on PostgreSQL it runs without the requests'
 * statement timeout (SET LOCAL: for the migration's own transaction only).
 */
export function untimed(migration: Migration): Migration {
  const lift = async (db: Knex) => {
    if (db.client.config.client === 'pg') await db.raw('SET LOCAL statement_timeout = 0');
  };
  return {
    up: async (db) => (await lift(db), migration.up(db)),
    down: async (db) => (await lift(db), migration.down(db)),
  };
}

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => untimed(migrations[name]!),
};
