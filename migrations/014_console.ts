// Staff console: staff accounts (caseworkers and admins), kept apart from members and business
// users; their invitations, single-use recovery codes and console sessions. Secrets only as hashes,
// the TOTP secret encrypted with KEY_ENCRYPTION_KEY.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('staff', (t) => {
    t.string('id', 36).primary();
    t.string('email', 254).notNullable().unique();
    t.string('name', 200).notNullable();
    t.string('role', 20).notNullable(); // caseworker | admin
    t.string('status', 20).notNullable(); // invited | active | disabled
    t.string('password_hash', 200);
    t.text('totp_secret'); // enc1.… (AES-256-GCM under KEY_ENCRYPTION_KEY, the staff id as associated data)
    // The last 30-second step whose code was accepted: a code is accepted only for a later step (no replay).
    t.bigInteger('totp_last_step');
    t.string('language', 2).notNullable().defaultTo('nb');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await db.schema.createTable('staff_recovery_codes', (t) => {
    t.string('id', 36).primary();
    t.string('staff_id', 36).notNullable();
    t.string('code_hash', 128).notNullable(); // HMAC of the code under the pepper, never the code
    t.bigInteger('created_at').notNullable();
    t.bigInteger('used_at');
    t.index(['staff_id', 'code_hash']);
  });

  await db.schema.createTable('staff_invitations', (t) => {
    t.string('id', 36).primary();
    t.string('staff_id', 36).notNullable();
    t.string('token_hash', 128).notNullable().unique(); // SHA-256 of a 256-bit random token
    // Chosen on the link's first step, kept until a TOTP code confirms the enrolment.
    t.string('pending_password_hash', 200);
    t.text('pending_totp_secret');
    t.string('created_by', 200);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at');
    t.bigInteger('revoked_at');
    t.index(['staff_id']);
  });

  // First-time passwords each caseworker sent from the console, per Oslo calendar day (the daily cap).
  await db.schema.createTable('console_send_counts', (t) => {
    t.string('staff_id', 36).notNullable();
    t.string('day', 10).notNullable(); // YYYY-MM-DD, Europe/Oslo
    t.integer('sent').notNullable().defaultTo(0);
    t.primary(['staff_id', 'day']);
  });

  await db.schema.createTable('console_sessions', (t) => {
    t.string('id_hash', 64).primary(); // SHA-256 of the cookie value
    t.string('staff_id', 36).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.bigInteger('ended_at');
    t.index(['staff_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('console_sessions');
  await db.schema.dropTableIfExists('console_send_counts');
  await db.schema.dropTableIfExists('staff_invitations');
  await db.schema.dropTableIfExists('staff_recovery_codes');
  await db.schema.dropTableIfExists('staff');
}
