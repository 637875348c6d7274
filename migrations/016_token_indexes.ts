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
  // The hash ids are stored as (digestOf, src/security/digest.ts), as it was when this was written.
  const key = (id: string) => hash('sha256', id, 'base64url');
  // In key order, a batch at a time from where the last one stopped (a range of the primary key), each
  // batch written by one statement.
  let last = ['', ''];
  for (;;) {
    const rows: { model: string; id: string; grant_id: string }[] = await db('oidc_store')
      .whereRaw('(model, id) > (?, ?)', last)
      .whereNotNull('grant_id')
      .whereNull('grant_key')
      .orderBy(['model', 'id'])
      .limit(BATCH)
      .select('model', 'id', 'grant_id');
    if (!rows.length) break;
    await db.raw(
      `UPDATE oidc_store SET grant_key = v.column3 FROM (VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}) AS v
       WHERE oidc_store.model = v.column1 AND oidc_store.id = v.column2`,
      rows.flatMap((row) => [row.model, row.id, key(row.grant_id)]),
    );
    const { model, id } = rows.at(-1)!;
    last = [model, id];
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
