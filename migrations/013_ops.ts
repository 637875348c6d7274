// Operations: the lease that lets one instance at a time run a maintenance job (the purge) where the
// database has no advisory locks (SQLite; PostgreSQL uses pg_try_advisory_xact_lock instead).
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('maintenance_leases', (t) => {
    t.string('name', 64).primary();
    t.string('holder', 64);
    t.bigInteger('expires_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('maintenance_leases');
}
