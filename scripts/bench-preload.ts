// `npm run bench -- --preload N`: fills the provider's store with N sessions, grants and tokens (as
// a long vote day leaves behind), and shows the query plans of the look-ups that must stay indexed.
import type { Db } from '../src/storage/db.ts';
import { REVOKE_BY_GRANT, rowsOfAccount, rowsOfGrants, TOKEN_WITH_CONTEXT } from '../src/oidc/adapter.ts';
import type { QueryPlan } from './bench-shared.ts';

const MEMBERS = 80_000;
const BATCH = 25_000;

/**
 * N rows of Session, Grant, RefreshToken and AccessToken in turn (each pair of tokens of the grant
 * before it; other ids random, expiries spread over the next 12 hours, a few already past), HK's
 * 80,000 members and N / 10 throttling and sending counters, generated inside the database (fast
 * enough for a million rows), in batches of 25,000 rows (each well inside the statement timeout).
 */
export async function preload(db: Db, rows: number, log: (line: string) => void): Promise<{ rows: number; seconds: number }> {
  const started = Date.now();
  const pg = db.client.config.client === 'pg';
  const now = Date.now();
  // One SQL for both: n = 1..count from a series, a random id per row.
  const series = pg ? 'generate_series(?::bigint, ?::bigint) AS s(n)' : '(WITH RECURSIVE s(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM s WHERE n < ?) SELECT n FROM s) AS s';
  const random = pg ? "md5(random()::text || n::text)" : 'hex(randomblob(16))';
  const model = "CASE n % 4 WHEN 0 THEN 'Session' WHEN 1 THEN 'Grant' WHEN 2 THEN 'RefreshToken' ELSE 'AccessToken' END";
  const account = pg ? "'preload-' || (n % 80000)::text" : "'preload-' || (n % 80000)";
  const grant = pg ? "'g' || (n / 4)::text" : "'g' || (n / 4)";
  for (let from = 1; from <= rows; from += BATCH) {
    const to = Math.min(rows, from + BATCH - 1);
    await db.raw(
      `INSERT INTO oidc_store (model, id, payload, grant_id, uid, user_code, account_id, expires_at, consumed_at, grant_key)
       SELECT ${model}, CASE WHEN n % 4 = 1 THEN ${grant} ELSE ${random} END, '{"kind":"preload"}', CASE WHEN n % 4 < 2 THEN NULL ELSE ${grant} END,
              CASE WHEN n % 4 = 0 THEN ${random} ELSE NULL END, NULL, ${account}, ? + (n * 7919) % 43200000 - 60000, NULL,
              CASE WHEN n % 4 < 2 THEN NULL ELSE ${grant} END
       FROM ${series}`,
      [now, from, to],
    );
    if (to % 100_000 === 0 || to === rows) log(`preloaded ${to.toLocaleString('en-US')} store rows`);
  }
  const members = pg ? 'generate_series(1, 80000) AS s(n)' : '(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 80000) SELECT n FROM s) AS s';
  await db.raw(
    `INSERT INTO accounts (id, kind, status, member_number, given_name, family_name, email, language, created_at, updated_at)
     SELECT ${pg ? "'preload-' || n::text" : "'preload-' || n"}, 'member', 'active', ${pg ? '(5000000 + n)::text' : "CAST(5000000 + n AS TEXT)"}, 'Kari', 'Preload',
            ${pg ? "'preload' || n::text || '@example.org'" : "'preload' || n || '@example.org'"}, 'nb', ?, ?
     FROM ${members}`,
    [now, now],
  );
  log(`preloaded ${MEMBERS.toLocaleString('en-US')} members`);
  // Throttling and sending counters (a row per account, IP slice or recipient): one for every ten store rows.
  const counters = Math.floor(rows / 10);
  for (let from = 1; from <= counters; from += BATCH) {
    const to = Math.min(counters, from + BATCH - 1);
    await db.raw(
      `INSERT INTO counters (key, count, last_at, expires_at)
       SELECT ${pg ? "'preload:' || n::text" : "'preload:' || n"}, 1 + n % 5, ?, ? + (n * 7919) % 3600000 - 60000 FROM ${series}`,
      [now, now, from, to],
    );
  }
  if (counters) log(`preloaded ${counters.toLocaleString('en-US')} counters`);
  // The planner needs fresh statistics to choose as it will in production.
  await db.raw(pg ? 'ANALYZE oidc_store, accounts, clients, counters' : 'ANALYZE');
  return { rows, seconds: (Date.now() - started) / 1000 };
}

/** The look-ups of a sign-in, a refresh and userinfo, and the purge, as the code builds them. */
function lookups(db: Db): { label: string; query: { toSQL(): { sql: string; bindings: readonly unknown[] } } }[] {
  const id = 'x'.repeat(43);
  const fixed = (sql: string, bindings: unknown[]) => ({ toSQL: () => ({ sql, bindings }) });
  return [
    { label: 'token with its grant, session and account', query: fixed(TOKEN_WITH_CONTEXT, ['AccessToken', id]) },
    { label: 'token/session by id', query: db('oidc_store').where({ model: 'RefreshToken', id }).first('payload', 'expires_at', 'consumed_at') },
    { label: 'session by uid', query: db('oidc_store').where({ model: 'Session', uid: id }).first('payload', 'expires_at', 'consumed_at') },
    { label: 'device code by user code', query: db('oidc_store').where({ model: 'DeviceCode', user_code: id }).first('payload', 'expires_at', 'consumed_at') },
    { label: 'revoke by grant id', query: fixed(REVOKE_BY_GRANT, ['AccessToken', 'g1']) },
    { label: 'sessions of an account', query: rowsOfAccount(db, 'Session', 'preload-1').select('id', 'payload') },
    { label: 'grants of an account', query: rowsOfAccount(db, 'Grant', 'preload-1').select('id') },
    { label: 'grants with their tokens', query: rowsOfGrants(db, ['g1', 'g2']).delete() },
    { label: 'purge expired', query: db('oidc_store').where('expires_at', '<', 0).delete() },
    { label: 'member by number', query: db('accounts').where({ kind: 'member', member_number: '3000001' }).first() },
    { label: 'member by username', query: db('accounts').where({ kind: 'member', username_key: 'kari' }).first() },
    { label: 'account by id (sub)', query: db('accounts').where({ id }).first() },
    { label: 'client by id', query: db('clients').where({ client_id: id }).first() },
    { label: 'counter by key', query: db('counters').where({ key: id }).first('count') },
  ];
}

const INDEXED = /USING (COVERING )?INDEX|USING PRIMARY KEY|USING INTEGER PRIMARY KEY|Index Scan|Index Only Scan|Bitmap Index Scan/;
/**
 * A step that reads a whole table (SQLite's `SCAN t`, PostgreSQL's `Seq Scan`), or every row of one
 * model (SQLite searching the store's key by `model` alone).
 */
const FULL_SCAN = /^\s*(->\s*)?(SCAN \w+$|SCAN \w+ \(|Seq Scan)|\(model=\?\)( LEFT-JOIN)?$/;

/** Each look-up's plan, whether it uses an index, and the rows in its table (a planner rightly scans a tiny table). */
export async function queryPlans(db: Db): Promise<QueryPlan[]> {
  const pg = db.client.config.client === 'pg';
  const plans = [];
  for (const { label, query } of lookups(db)) {
    const { sql, bindings } = query.toSQL();
    const table = /(?:from|into|update) [`"]?(\w+)/i.exec(sql)![1]!;
    const [{ n }] = await db(table).count({ n: '*' });
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
    // Every table a join reads must be read by an index.
    plans.push({ label, plan, indexed: plan.some((line) => INDEXED.test(line)) && !plan.some((line) => FULL_SCAN.test(line)), rows: Number(n) });
  }
  return plans;
}
