// SQLite through Node's own `node:sqlite` instead of the `sqlite3` package, under knex's better-sqlite3
// dialect (the same SQL, schema builder and transactions; only the driver differs).
//
// Why: `sqlite3` runs every statement as two or three jobs on libuv's thread pool (prepare, run,
// finalize), which bcrypt and DNS share; under load each hop waits for a thread and the one connection
// sits idle in between (the bench measured ~0.2–1 ms a look-up). `node:sqlite` runs a look-up in
// ~10–20 µs on the calling thread, and each statement is prepared once per connection. The queries are
// point look-ups and single-row writes by index; long ones (the purge) run in batches. Waiting for
// another connection's lock is done here, asynchronously (SQLite's busy_timeout is 0).
//
// WAL checkpoints run on a thread of their own (`Checkpointer`): a checkpoint copies the WAL into the
// database file and flushes both to disk (fsync), which on this thread stalled every request behind
// it (the bench: half of a token write's time was the checkpoints a few writes set off).
import { createRequire } from 'node:module';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
// (Type only: direct.ts imports this module at run time, not the other way round.)
import type { Row } from './direct.ts';

const require = createRequire(import.meta.url);
// knex ships its dialects as CommonJS without type declarations; these are the methods overridden here.
type KnexDialectClient = {
  acquireRawConnection(): Promise<unknown>;
  destroyRawConnection(connection: unknown): Promise<void>;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
};
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as new (config: unknown) => KnexDialectClient;

type RunResult = { changes: number; lastInsertRowid: number };
type Prepared = { statement: StatementSync; reader: boolean; toRow(values: unknown[]): Row; all(bindings: unknown[]): unknown[] | Promise<unknown[]>; run(bindings: unknown[]): RunResult | Promise<RunResult> };

/** How long a statement waits for another connection's write lock (a CLI import, a second instance). */
const BUSY_TIMEOUT_MS = 5000;

const isBusy = (error: unknown) => {
  const code = (error as { errcode?: number }).errcode;
  // SQLITE_BUSY and its variants, except BUSY_SNAPSHOT (517), which only a new transaction resolves.
  return code !== undefined && (code & 0xff) === 5 && code !== 517;
};

/**
 * Runs `statement` now; while another connection holds the write lock, tries again after a short
 * wait without blocking the event loop (SQLite's own busy handler would sleep on this thread, and the
 * connection holding the lock, in this process too, could never finish). `waiting` is told when the
 * waits start and end.
 */
function whenFree<T>(statement: () => T, waiting: (started: boolean) => void): T | Promise<T> {
  try {
    return statement();
  } catch (error) {
    if (!isBusy(error)) throw error;
  }
  return (async () => {
    const started = Date.now();
    waiting(true);
    try {
      for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        try {
          return statement();
        } catch (error) {
          if (!isBusy(error) || Date.now() - started > BUSY_TIMEOUT_MS) throw error;
        }
      }
    } finally {
      waiting(false);
    }
  })();
}

/** How often the checkpointer copies the WAL into the database; the connection's own checkpoint is the fallback. */
const CHECKPOINT_EVERY_MS = 100;
/** Pages in the WAL past which the checkpointer makes it start over. */
const RESTART_AFTER_PAGES = 4_000;
/** Pages in the WAL before the connection checkpoints itself (only if the checkpointer fell behind or stopped). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// The checkpointer's thread: a connection of its own that checkpoints PASSIVE (never waiting for or
// blocking the writer). Under steady writes a PASSIVE checkpoint never catches up with the end of the
// WAL, so the WAL would never start over; once it is long and a PASSIVE run has copied all of it, a
// RESTART lets the next write start it over. The RESTART never waits (busy_timeout 0): while a
// reader still holds an older snapshot (a backup, a long read of another process) it gives up at
// once, and is not tried again for `backoffTicks` ticks — so writers are never held off for more than
// the moment it takes. The durability is SQLite's own for synchronous = NORMAL.
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.filename);
db.exec('PRAGMA busy_timeout = 0');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
let wait = 0;
const timer = setInterval(() => {
  if (wait > 0) return void wait--;
  try {
    const copied = passive.get();
    if (copied.log > workerData.restartPages && copied.busy === 0 && copied.checkpointed === copied.log) {
      if (restart.get().busy !== 0) wait = workerData.backoffTicks;
    }
  } catch {
    wait = workerData.backoffTicks;
  }
}, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export type CheckpointerOptions = { everyMs: number; restartPages: number; backoffTicks: number };
const CHECKPOINTER_DEFAULTS: CheckpointerOptions = { everyMs: CHECKPOINT_EVERY_MS, restartPages: RESTART_AFTER_PAGES, backoffTicks: 10 };

/** Checkpoints the WAL of a database file on a worker thread. */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;
  constructor(filename: string, options: CheckpointerOptions = CHECKPOINTER_DEFAULTS) {
    this.worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { filename, ...options } });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    // A failing checkpointer only leaves the checkpoints to the connection itself.
    this.worker.on('error', () => {});
  }
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    await this.exited;
  }
}

/** What knex's better-sqlite3 dialect calls on a connection, over one DatabaseSync. */
class Connection {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, Prepared>();
  private readonly checkpointer: Checkpointer | undefined;
  /** How many statements on this connection are waiting out another connection's write lock. */
  waiting = 0;
  private readonly onWait = (started: boolean) => {
    this.waiting += started ? 1 : -1;
  };

  constructor(filename: string) {
    this.db = new DatabaseSync(filename);
    if (filename !== ':memory:' && filename !== '') {
      this.db.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      this.checkpointer = new Checkpointer(filename);
    }
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** Whether a transaction is open on this connection (BEGIN without COMMIT or ROLLBACK yet). */
  get inTransaction(): boolean {
    return this.db.isTransaction;
  }

  prepare(sql: string): Prepared {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      const statement: StatementSync = this.db.prepare(sql);
      // Rows as arrays, made into plain objects here: node:sqlite's own row objects are dictionaries
      // built name by name, each of a shape of its own, so every read of a column missed V8's caches
      // (the bench's userinfo: 17 lookups in V8's runtime a request); these share one shape a statement.
      // Each row is a copy of one empty row with every column: an object given more than a dozen
      // properties one computed name at a time becomes a dictionary (~3 KB for the token's 26
      // columns, against ~250 bytes), and JSON.parse makes the one empty row a plain object of one shape.
      statement.setReturnArrays(true);
      const shapeOf = () => {
        const names = statement.columns().map((column) => column.name);
        return { names, empty: JSON.parse(JSON.stringify(Object.fromEntries(names.map((name) => [name, null])))) as Row };
      };
      let shape = shapeOf();
      const toRow = (values: unknown[]): Row => {
        // Another connection (`hk-idp migrate` beside a running instance) added or dropped a column:
        // SQLite re-prepared the statement by itself, and a `select *` now has other columns.
        // (Migrations only add columns, so a change always changes their count.)
        if (values.length !== shape.names.length) shape = shapeOf();
        const { names, empty } = shape;
        const row: Row = { ...empty };
        for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
        return row;
      };
      prepared = {
        statement,
        // A statement that returns rows (a SELECT, a PRAGMA, an INSERT … RETURNING).
        reader: shape.names.length > 0,
        toRow,
        all: (bindings) => whenFree(() => (statement.all(...(bindings as never[])) as unknown as unknown[][]).map(toRow), this.onWait),
        run: (bindings) =>
          whenFree(() => {
            const { changes, lastInsertRowid } = statement.run(...(bindings as never[]));
            return { changes: Number(changes), lastInsertRowid: Number(lastInsertRowid) };
          }, this.onWait),
      };
      // Schema changes invalidate prepared statements; SQLite re-prepares them itself when they do.
      // The set of distinct statements is small (bindings are never in the SQL); the cap only guards.
      if (this.statements.size >= 1000) this.statements.clear();
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  async close(): Promise<void> {
    // The checkpointer's connection first: the last connection to close checkpoints and removes the WAL.
    await this.checkpointer?.stop();
    this.statements.clear();
    this.db.close();
  }
}

/** What `runNow` answers: the first row (if any) of a statement that returns rows, else how many rows it changed. */
export type NowResult = { rows: Row[] } | { changes: number };

/** The knex client: knex's better-sqlite3 dialect with Node's own SQLite as the driver. */
export class NodeSqliteClient extends BetterSqlite3Client {
  /** The pool's one connection (min = max = 1), and how many of knex's queries or transactions hold it. */
  private connection: Connection | undefined;
  private held = 0;

  _driver() {
    return Connection;
  }

  override async destroyRawConnection(connection: Connection): Promise<void> {
    if (connection === this.connection) this.connection = undefined;
    return super.destroyRawConnection(connection);
  }

  override async acquireConnection(): Promise<Connection> {
    const connection = (await super.acquireConnection()) as Connection;
    // Known only once the pool hands it out: by then its PRAGMAs (afterCreate) have run.
    this.connection = connection;
    this.held++;
    return connection;
  }

  override releaseConnection(connection: Connection): Promise<void> {
    this.held--;
    return super.releaseConnection(connection);
  }

  /**
   * Runs one statement at once on the connection, past knex's runner and pool, when no query or
   * transaction of knex's holds it: the statement runs start to end on this thread, so nothing can
   * come between (it is its own transaction, never part of someone else's). A knex query that only
   * waits out another connection's write lock, outside a transaction, does not count as holding it:
   * reads go on meanwhile (a CLI import's lock must not stall every token use). Undefined when the
   * connection is held, or another process holds the write lock (the statement then did nothing):
   * the caller queues through knex instead.
   */
  runNow(sql: string, bindings: readonly unknown[]): NowResult | undefined {
    // The transaction check also covers what the count could miss (a double release, a failed COMMIT).
    if (!this.connection || this.connection.inTransaction || this.held > this.connection.waiting) return undefined;
    const { statement, reader, toRow } = this.connection.prepare(sql);
    try {
      if (!reader) return { changes: Number(statement.run(...(bindings as never[])).changes) };
      // The first row only (what direct.ts asks for).
      const values = statement.get(...(bindings as never[])) as unknown as unknown[] | undefined;
      return { rows: values === undefined ? [] : [toRow(values)] };
    } catch (error) {
      if (isBusy(error)) return undefined;
      throw error;
    }
  }
}
