// Benchmark of the member import at register scale: generates a CSV of N members (default 80,000,
// `;`-separated with a BOM, as a Norwegian spreadsheet exports it), then times on a fresh database
//   1. the first import (every member added),
//   2. the nightly re-import with nothing changed,
//   3. a re-import with 10% of the members changed.
// SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (a fresh schema, dropped afterwards).
//   node scripts/import-bench.ts [N]
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex from 'knex';
import { importMembers } from '../src/accounts/members.ts';
import { migrate, openDatabase, type Db } from '../src/storage/db.ts';

const count = Number(process.argv[2] ?? 80_000);
const dir = mkdtempSync(join(tmpdir(), 'hk-import-bench-'));

/** The register as a file: member i, with its e-mail changed when `changed(i)`. */
export function memberFile(path: string, n: number, changed: (i: number) => boolean = () => false): void {
  const lines = ['\uFEFFmember_number;given_name;family_name;email;mobile;status;language'];
  for (let i = 0; i < n; i++) {
    const number = String(1_000_000 + i);
    const email = changed(i) ? `ny.${number}@example.org` : `medlem.${number}@example.org`;
    lines.push(`${number};Fornavn${i % 997};Etternavn${i % 991};${email};4${String(1_000_000 + i).slice(-7)};${i % 50 === 0 ? 'inactive' : 'active'};${i % 10 === 0 ? 'en' : 'nb'}`);
  }
  writeFileSync(path, `${lines.join('\r\n')}\r\n`);
}

async function time(label: string, db: Db, file: string): Promise<void> {
  const started = performance.now();
  const report = await importMembers(db, createReadStream(file));
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${label.padEnd(28)} ${seconds.toFixed(1).padStart(6)} s   added ${report.added}, updated ${report.updated}, unchanged ${report.unchanged}, rejected ${report.rejected.length}`);
}

async function run(name: string, db: Db): Promise<void> {
  await migrate(db);
  console.log(`${name}, ${count} members:`);
  await time('first import', db, join(dir, 'members.csv'));
  await time('re-import, nothing changed', db, join(dir, 'members.csv'));
  await time('re-import, 10% changed', db, join(dir, 'changed.csv'));
}

memberFile(join(dir, 'members.csv'), count);
memberFile(join(dir, 'changed.csv'), count, (i) => i % 10 === 3);
try {
  const sqlite = openDatabase(`sqlite:${join(dir, 'bench.sqlite')}`);
  await run('SQLite', sqlite).finally(() => sqlite.destroy());
  const pg = process.env.TEST_DATABASE_URL;
  if (pg) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const admin = knex({ client: 'pg', connection: pg });
    await admin.raw(`CREATE SCHEMA ${schema}`);
    const db = openDatabase(pg, { schema });
    await run('PostgreSQL', db).finally(async () => {
      await db.destroy();
      await admin.raw(`DROP SCHEMA ${schema} CASCADE`);
      await admin.destroy();
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
