// `npm run bench -- --preload N`: fills the provider's store with N sessions, grants and tokens (as
// a long vote day leaves behind), and shows the query plans of the look-ups that must stay indexed.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../src/storage/db.ts';

const MODELS = ['Session', 'Grant', 'RefreshToken', 'AccessToken'] as const;
const BATCH = 500;

export async function preload(db: Db, rows: number, log: (line: string) => void): Promise<{ rows: number; seconds: number }> {
  const started = Date.now();
  const now = Date.now();
  for (let done = 0; done < rows; ) {
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < BATCH && done < rows; i++, done++) {
      const model = MODELS[done % MODELS.length]!;
      const account = `preload-${done % 80_000}`;
      batch.push({
        model,
        id: createHash('sha256').update(randomBytes(16)).digest('base64url'),
        payload: JSON.stringify({ kind: model, accountId: account, grantId: `g${done >> 2}` }),
        grant_id: model === 'Session' ? null : `g${done >> 2}`,
        uid: model === 'Session' ? randomBytes(16).toString('base64url') : null,
        user_code: null,
        account_id: account,
        // Spread over the next 12 hours, a few already expired (for the purge plan).
        expires_at: now + ((done * 7919) % (12 * 3600_000)) - 60_000,
        consumed_at: null,
      });
    }
    await db.transaction((trx) => trx('oidc_store').insert(batch));
    if (done % 100_000 === 0) log(`preloaded ${done} rows`);
  }
  // The planner needs fresh statistics to choose as it will in production.
  await db.raw(db.client.config.client === 'pg' ? 'ANALYZE oidc_store' : 'ANALYZE');
  return { rows, seconds: (Date.now() - started) / 1000 };
}

/** The look-ups of a sign-in, a refresh and userinfo, and the purge, as the code builds them. */
function lookups(db: Db) {
  const id = 'x'.repeat(43);
  return [
    { label: 'token/session by id', query: db('oidc_store').where({ model: 'RefreshToken', id }).first('payload', 'expires_at', 'consumed_at') },
    { label: 'session by uid', query: db('oidc_store').where({ model: 'Session', uid: id }).first('payload', 'expires_at', 'consumed_at') },
    { label: 'revoke by grant id', query: db('oidc_store').where({ model: 'AccessToken', grant_id: 'g1' }).delete() },
    { label: 'everything of an account', query: db('oidc_store').where({ account_id: 'preload-1' }).whereNot({ model: 'Interaction' }).delete() },
    { label: 'purge expired', query: db('oidc_store').where('expires_at', '<', 0).delete() },
    { label: 'member by number', query: db('accounts').where({ kind: 'member', member_number: '3000001' }).first() },
    { label: 'member by username', query: db('accounts').where({ kind: 'member', username_key: 'kari' }).first() },
    { label: 'account by id (sub)', query: db('accounts').where({ id }).first() },
    { label: 'client by id', query: db('clients').where({ client_id: id }).first() },
    { label: 'counter by key', query: db('counters').where({ key: id }).first('count') },
  ];
}

const INDEXED = /USING (COVERING )?INDEX|USING PRIMARY KEY|USING INTEGER PRIMARY KEY|Index Scan|Index Only Scan|Bitmap Index Scan/;

export async function queryPlans(db: Db): Promise<{ label: string; plan: string[]; indexed: boolean }[]> {
  const pg = db.client.config.client === 'pg';
  const plans = [];
  for (const { label, query } of lookups(db)) {
    const { sql, bindings } = query.toSQL();
    let plan: string[];
    if (pg) {
      const result = await db.raw(`EXPLAIN ${sql}`, bindings as never);
      plan = result.rows.map((row: Record<string, string>) => row['QUERY PLAN']);
    } else {
      // EXPLAIN of a DELETE on SQLite: ask for the plan of the equivalent SELECT.
      const select = sql.replace(/^delete from/i, 'select 1 from');
      const rows = await db.raw(`EXPLAIN QUERY PLAN ${select}`, bindings as never);
      plan = rows.map((row: { detail: string }) => row.detail);
    }
    plans.push({ label, plan, indexed: plan.some((line) => INDEXED.test(line)) });
  }
  return plans;
}
