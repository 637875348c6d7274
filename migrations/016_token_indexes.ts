// One index fewer on every token row, the most written rows (a refresh writes two): each index is more
// pages written and logged at every commit.
// - The account index keeps sessions, grants and sign-ins in progress only. "End everything of an
//   account" reaches the tokens through the account's grants (src/oidc/adapter.ts, endEverythingOf);
//   a token is of no use without its grant anyway. A query must repeat the index's condition word for
//   word for SQLite to use it (`OWNED_BY_ACCOUNT` in the adapter).
// - The grant index is on `grant_key` (the grant's stored id, the Grant row's key) instead of the
//   grant id: both the library's revoke by grant id and the account's grants find tokens by it.
//   Rows written before migrations/015 get their `grant_key` here.
import { hash } from 'node:crypto';
import type { Knex } from 'knex';

const BATCH = 500;

export async function up(db: Knex): Promise<void> {
  // The hash the adapter stores ids as (storedId), as it was when this was written.
  const key = (id: string) => hash('sha256', id, 'base64url');
  // In key order, a batch at a time from where the last one stopped.
  let last = { model: '', id: '' };
  for (;;) {
    const rows: { model: string; id: string; grant_id: string }[] = await db('oidc_store')
      .whereNotNull('grant_id')
      .whereNull('grant_key')
      .andWhere((q) => q.where('model', '>', last.model).orWhere((same) => same.where('model', last.model).andWhere('id', '>', last.id)))
      .orderBy(['model', 'id'])
      .limit(BATCH)
      .select('model', 'id', 'grant_id');
    for (const row of rows) await db('oidc_store').where({ model: row.model, id: row.id }).update({ grant_key: key(row.grant_id) });
    if (rows.length < BATCH) break;
    last = rows.at(-1)!;
  }
  await db.raw('DROP INDEX oidc_store_grant_id_index');
  await db.raw('DROP INDEX oidc_store_account_id_index');
  await db.raw('CREATE INDEX oidc_store_grant_key_present ON oidc_store (grant_key) WHERE grant_key IS NOT NULL');
  await db.raw("CREATE INDEX oidc_store_account_owned ON oidc_store (account_id) WHERE model IN ('Session', 'Grant', 'Interaction')");
}

export async function down(db: Knex): Promise<void> {
  await db.raw('DROP INDEX oidc_store_grant_key_present');
  await db.raw('DROP INDEX oidc_store_account_owned');
  await db.schema.alterTable('oidc_store', (t) => {
    t.index(['grant_id']);
    t.index(['account_id']);
  });
}
