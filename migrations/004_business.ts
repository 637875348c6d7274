// Business portal: one-time codes (activation and password reset, and later other uses) and
// invitation links. Both hold only hashes of the secrets they stand for.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('one_time_codes', (t) => {
    t.string('id', 36).primary();
    // Null when the address asked for belongs to no one: the row exists so the request does the same
    // work either way, and it can never be verified.
    t.string('account_id', 64);
    t.string('purpose', 64).notNullable(); // e.g. business_activation | business_reset
    t.string('flow_id', 255).notNullable(); // the browser flow (oidc interaction uid) that asked for it
    // HMAC of purpose + the address asked for: a newer request for the same address cancels this code
    // whether or not the address belongs to anyone, so cancelling tells nothing.
    t.string('address_key', 64);
    t.string('code_hash', 128).notNullable(); // HMAC of the code under a server key, never the code
    t.integer('attempts').notNullable().defaultTo(0); // wrong entries so far
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.bigInteger('cancelled_at'); // a newer code for the same account/purpose or flow replaced it
    t.index(['flow_id', 'purpose']);
    t.index(['account_id', 'purpose']);
    t.index(['address_key']);
    t.index(['expires_at']);
  });

  await db.schema.createTable('invitations', (t) => {
    t.string('id', 36).primary();
    t.string('account_id', 64).notNullable();
    // SHA-256 of a 256-bit random token (high entropy, so a fast hash is enough).
    t.string('token_hash', 128).notNullable().unique();
    t.string('created_by', 200);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.bigInteger('revoked_at'); // a newer invitation, or the user was disabled
    t.index(['account_id']);
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('invitations');
  await db.schema.dropTableIfExists('one_time_codes');
}
