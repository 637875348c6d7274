// The migrations, in order; the same files serve SQLite and PostgreSQL.
import type { Knex } from 'knex';
import * as initial from './001_initial.ts';
import * as outbox from './002_outbox.ts';
import * as firstTimePasswords from './003_first_time_passwords.ts';
import * as business from './004_business.ts';
import * as counters from './006_counters.ts';
import * as bench from './012_bench.ts';

type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };

const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_outbox': outbox,
  '003_first_time_passwords': firstTimePasswords,
  '004_business': business,
  '006_counters': counters,
  '012_bench': bench,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
