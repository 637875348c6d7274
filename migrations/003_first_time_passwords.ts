// First-time passwords: at most one live per member (a new one replaces the old). Only a keyed hash
// is stored; the password itself exists only in the queued message until it is delivered.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('first_time_passwords', (t) => {
    // One row per account: issuing is an upsert, so an earlier first-time password is gone at once.
    t.string('account_id', 64).primary();
    // Random per issue: the first-login step remembers it, so a newer order voids a step in progress.
    t.string('id', 64).notNullable();
    // HMAC-SHA-256 (key derived from the pepper) over account id + password; base64url.
    t.string('secret_hash', 64).notNullable();
    t.string('channel', 8).notNullable(); // sms | email
    t.string('issued_by', 200); // the caseworker, when one sent it
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    // With WIPE_CREDENTIALS=on-use: when the first correct use wiped the old credentials.
    t.bigInteger('wiped_at');
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('first_time_passwords');
}
