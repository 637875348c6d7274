// A fresh, migrated database for unit tests of the core (SQLite file, or a PostgreSQL schema when
// TEST_DATABASE_URL is set), without a server.
import { migrate, openDatabase, type Db } from '../../src/storage/db.ts';
import { freshDatabase } from './idp.ts';

export async function testDb(): Promise<{ db: Db; close(): Promise<void> }> {
  const database = await freshDatabase();
  const db = openDatabase(database.databaseUrl, { schema: database.schema });
  await migrate(db);
  return {
    db,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
