// Sliding-window counters (sending limits, the SMS budget, per-IP sign-in failures): one row per
// key, time slice and shard, summed on read. A busy key (the SMS budget, requests that match nobody)
// is spread over several rows, so concurrent requests do not queue on one row lock.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('counter_slices', (t) => {
    t.string('key', 200).notNullable();
    t.bigInteger('slice').notNullable();
    t.integer('shard').notNullable();
    t.integer('count').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['key', 'slice', 'shard']);
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('counter_slices');
}
