// Counters for throttling and sending limits, shared by every instance (Redis replaces this table
// when REDIS_URL is set).
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('counters', (t) => {
    t.string('key', 200).primary();
    t.integer('count').notNullable();
    t.bigInteger('last_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('counters');
}
