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
