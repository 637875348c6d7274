// Partial indexes for the columns only some rows have: `uid` (sessions and interactions) and
// `user_code` (device codes, unused). Tokens, the most written rows, no longer add an entry for NULL to
// either index on every write; a look-up by uid or user code (`uid = ?` implies NOT NULL) uses them
// alike on SQLite and PostgreSQL.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.raw('DROP INDEX oidc_store_uid_index');
  await db.raw('DROP INDEX oidc_store_user_code_index');
  await db.raw('CREATE INDEX oidc_store_uid_present ON oidc_store (uid) WHERE uid IS NOT NULL');
  await db.raw('CREATE INDEX oidc_store_user_code_present ON oidc_store (user_code) WHERE user_code IS NOT NULL');
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP INDEX oidc_store_uid_present');
  await db.raw('DROP INDEX oidc_store_user_code_present');
  await db.schema.alterTable('oidc_store', (t) => {
    t.index(['uid']);
    t.index(['user_code']);
  });
}
