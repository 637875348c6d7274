#!/usr/bin/env node
// Entry of the `hk-idp` command: the same settings as the server, the same database.
import { ConfigError, loadSettings } from '../../config/settings.ts';
import { migrate, openDatabase } from '../storage/db.ts';
import { runCli } from './run.ts';

let code = 1;
try {
  const settings = loadSettings();
  const db = openDatabase(settings.databaseUrl, settings.database);
  try {
    if (process.argv[2] !== 'migrate') await migrate(db);
    code = await runCli(process.argv.slice(2), { db, settings, out: console.log, err: console.error });
  } finally {
    await db.destroy();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? `hk-idp: ${error.message}` : error);
}
process.exit(code);
