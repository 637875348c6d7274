// A write refused because the row would duplicate a unique key: told by the driver's error code, the
// same whatever the message says (its wording differs by driver and version).

/** PostgreSQL's unique_violation (a primary key included). */
const PG_UNIQUE_VIOLATION = '23505';
/** SQLite's extended result codes (node:sqlite puts them in `errcode`, its `code` is always ERR_SQLITE_ERROR). */
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** Whether the database refused a write for a duplicate primary key or unique index (a partial one too). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === PG_UNIQUE_VIOLATION) return true;
  return code === 'ERR_SQLITE_ERROR' && (errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY);
}
