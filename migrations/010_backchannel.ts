// Back-channel logout: each app's logout URI on its registration, and the durable queue of logout
// notifications. A notification is written in the same transaction as the session end it reports
// (the provider's own confirmed logout queues it during the logout request); a worker in some
// instance signs the logout token and delivers it afterwards.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('clients', (t) => {
    t.string('backchannel_logout_uri', 500);
    t.boolean('backchannel_logout_session_required').notNullable().defaultTo(false);
  });
  await db.schema.createTable('backchannel_logouts', (t) => {
    t.increments('id');
    t.string('client_id', 64).notNullable();
    // The `sub` of the logout token and the session's `sid` for this app (the token carries it when
    // the app registered backchannel_logout_session_required). No token is stored: it is signed when sent.
    t.string('account_id', 64).notNullable();
    t.string('sid', 64);
    // Why the session ended (EndReason: logout | account | expired | staff), for the audit log.
    t.string('reason', 32).notNullable();
    t.string('status', 16).notNullable(); // pending | sending | sent | failed | expired
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.string('claimed_by', 64);
    t.bigInteger('claimed_at');
    // Retried until then; an app down longer is told nothing more (and the failure is audited).
    t.bigInteger('expires_at').notNullable();
    t.string('last_error', 500);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at');
    t.index(['status', 'next_attempt_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('backchannel_logouts');
  await db.schema.alterTable('clients', (t) => {
    t.dropColumn('backchannel_logout_session_required');
    t.dropColumn('backchannel_logout_uri');
  });
}
