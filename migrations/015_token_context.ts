// A token's row names the rows every use of the token reads next, so one statement finds them all
// (src/oidc/adapter.ts, TOKEN_WITH_CONTEXT): `grant_key` is its grant's stored id (the primary key of
// the Grant row) and `session_uid` the uid of the session it is bound to. No index: they are read
// from the token's own row, found by its primary key. Rows written before this have neither; their
// uses read the grant and session one statement each, as before.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('oidc_store', (t) => {
    t.string('grant_key', 64);
    t.string('session_uid', 255);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('oidc_store', (t) => {
    t.dropColumn('grant_key');
    t.dropColumn('session_uid');
  });
}
