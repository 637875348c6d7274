// Orders for a first-time password or a one-time code, as the person typed them. The request only
// records the order (one identical insert whatever it matches); the outbox worker matches it against
// the register, applies the sending limits, issues, queues the message and deletes the order.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('orders', (t) => {
    t.increments('id');
    t.string('kind', 32).notNullable(); // first_time_password | business_code
    t.string('member_number', 32); // as typed (first-time passwords)
    t.string('channel', 8).notNullable(); // sms | email
    t.string('contact', 320).notNullable(); // the typed contact, normalised
    t.string('language', 8).notNullable(); // of the page the order came from
    t.string('ip', 64);
    t.string('client_id', 128);
    // JSON: the rest of the request context (user agent; the flow and purpose of a code).
    t.text('context');
    t.bigInteger('created_at').notNullable();
    t.string('claimed_by', 64);
    t.bigInteger('claimed_at');
    t.integer('attempts').notNullable().defaultTo(0);
    t.index(['created_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('orders');
}
