// Fixed SQL run on the driver itself, past knex's query builder and runner: for the few statements
// every token use and userinfo make (src/oidc/adapter.ts, the account of a token). The bench's profile
// showed knex's per-statement work (runner, pool acquire with its timer, events) costing more than
// SQLite's own run of a point look-up. On SQLite the statement runs at once on the connection when no
// one holds it (node-sqlite.ts, `runNow`); on PostgreSQL it is a named prepared statement on a pooled
// connection (parsed and planned once per connection). Inside a transaction, or when the SQLite
// connection is held, it goes through knex as any other query.
// Each statement is still a knex 'query' event, so the bench's counts and the tests' lists see it.
import { hash } from 'node:crypto';
import type { Db } from './db.ts';
import { NodeSqliteClient } from './node-sqlite.ts';

export type Binding = string | number | null;
export type Row = Record<string, unknown>;

type PgConnection = { query(config: { name: string; text: string; values: readonly Binding[] }): Promise<{ rows: Row[]; rowCount: number | null }> };
type PgClient = { acquireConnection(): Promise<PgConnection>; releaseConnection(connection: PgConnection): Promise<void> };

/** The PostgreSQL text ($1, $2 …) and statement name of a fixed SQL text written with `?`. */
const pgStatements = new Map<string, { name: string; text: string }>();
function pgStatement(sql: string) {
  let statement = pgStatements.get(sql);
  if (!statement) {
    let n = 0;
    // Fixed SQL only: no `?` inside a literal.
    statement = { name: `hk_${hash('sha256', sql, 'hex').slice(0, 16)}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    pgStatements.set(sql, statement);
  }
  return statement;
}

/** A 'query' event as knex's own, for whoever counts statements. */
function counted(db: Db, sql: string, bindings: readonly Binding[]): void {
  if (db.listenerCount('query') > 0) db.emit('query', { method: 'raw', sql, bindings });
}

/** Runs `sql` and answers its rows (a SELECT, or … RETURNING) or, for other statements, how many rows it changed. */
async function execute(db: Db, sql: string, bindings: readonly Binding[]): Promise<{ rows: Row[]; changes: number }> {
  const client: unknown = db.client;
  if (!db.isTransaction && client instanceof NodeSqliteClient) {
    const now = client.runNow(sql, bindings);
    if (now) {
      counted(db, sql, bindings);
      return 'rows' in now ? { rows: now.rows, changes: 0 } : { rows: [], changes: now.changes };
    }
  } else if (!db.isTransaction && db.client.config.client === 'pg') {
    counted(db, sql, bindings);
    const pg = client as PgClient;
    const connection = await pg.acquireConnection();
    try {
      const { rows, rowCount } = await connection.query({ ...pgStatement(sql), values: bindings });
      return { rows, changes: rowCount ?? 0 };
    } finally {
      await pg.releaseConnection(connection);
    }
  }
  // In a transaction, or the SQLite connection is held: through knex (which emits its own 'query' event).
  return fromKnex(await db.raw(sql, bindings as Binding[]));
}

function fromKnex(result: unknown): { rows: Row[]; changes: number } {
  // SQLite (better-sqlite3 dialect): the rows of a reader, else { changes }; PostgreSQL: its result.
  if (Array.isArray(result)) return { rows: result as Row[], changes: 0 };
  const { rows, rowCount, changes } = result as { rows?: Row[]; rowCount?: number | null; changes?: number };
  return { rows: rows ?? [], changes: changes ?? rowCount ?? 0 };
}

/** The first row of a fixed SELECT. */
export async function firstRow<T extends Row>(db: Db, sql: string, bindings: readonly Binding[]): Promise<T | undefined> {
  return (await execute(db, sql, bindings)).rows[0] as T | undefined;
}

/** Runs a fixed INSERT, UPDATE or DELETE; answers how many rows it changed. */
export async function changeRows(db: Db, sql: string, bindings: readonly Binding[]): Promise<number> {
  return (await execute(db, sql, bindings)).changes;
}
