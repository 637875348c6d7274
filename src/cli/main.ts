#!/usr/bin/env node
// Entry of the `hk-idp` command: the same settings as the server, the same database.
import { loadSettings } from '../../config/settings.ts';
import { ConfigError } from '../errors.ts';
import { migrate, openDatabase } from '../storage/db.ts';
import { flushed, lineWriter } from './output.ts';
import { runCli } from './run.ts';

// A reader that goes away (`| head`) ends the output, not the command.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const out = lineWriter(process.stdout);
const err = lineWriter(process.stderr);
let code = 1;
try {
  const settings = loadSettings();
  const db = openDatabase(settings.databaseUrl, settings.database);
  try {
    // With MIGRATE_ON_START=false the migrations are the deploy step's alone (`hk-idp migrate`).
    if (process.argv[2] !== 'migrate' && settings.operations.migrateOnStart) await migrate(db);
    code = await runCli(process.argv.slice(2), { db, settings, out, err });
  } finally {
    await db.destroy();
  }
} catch (error) {
  err(error instanceof ConfigError ? `hk-idp: ${error.message}` : String((error as Error)?.stack ?? error));
}
// The whole report reaches the reader, however slowly it reads, before the process ends.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
