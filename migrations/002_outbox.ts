// The outbox: a message is written in the same transaction as the code or password it carries, and
// a worker in some instance delivers it afterwards.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('outbox', (t) => {
    t.increments('id');
    t.string('channel', 8).notNullable(); // sms | email
    t.string('recipient', 320).notNullable();
    t.string('kind', 64).notNullable();
    t.string('language', 8).notNullable();
    // JSON; may hold the secret the message carries. Emptied once delivered or expired.
    t.text('params');
    t.string('status', 16).notNullable(); // pending | sending | sent | failed | expired
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.string('claimed_by', 64);
    t.bigInteger('claimed_at');
    // After this the secret inside is worthless: never deliver later.
    t.bigInteger('expires_at').notNullable();
    t.string('last_error', 500);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at');
    t.string('account_id', 64);
    t.index(['status', 'next_attempt_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('outbox');
}
