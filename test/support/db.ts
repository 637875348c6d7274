// A fresh, migrated database for unit tests of the core (no server).
import { migrate, openDatabase, type Db } from '../../src/storage/db.ts';
import { freshDatabase } from './idp.ts';

export async function testDb(): Promise<{ db: Db; close(): Promise<void> }> {
  const fresh = await freshDatabase();
  const db = openDatabase(fresh.databaseUrl, { schema: fresh.schema });
  await migrate(db);
  return {
    db,
    async close() {
      await db.destroy();
      await fresh.drop();
    },
  };
}

/**
 * The SQL of every statement `action` sends through `db`, in order, bindings left out and numbers
 * written into the SQL (a time) as #: two requests that must do the same work whatever they find
 * must give the same list.
 */
export async function statementsOf(db: Db, action: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const listener = (query: { sql: string }) => statements.push(query.sql.replace(/\b\d+\b/g, '#'));
  db.on('query', listener);
  try {
    await action();
  } finally {
    db.removeListener('query', listener);
  }
  return statements;
}
