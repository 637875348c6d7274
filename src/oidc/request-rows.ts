// What a request keeps on itself for the store (src/oidc/adapter.ts), never across requests:
// - Rows one statement brought along for the rest of the request: a token's look-up also reads its
//   grant, its session and its account, which the provider reads right after. Every request still
//   reads the database, so a revoked grant, an ended session or a disabled account stops the next
//   request on every instance. A write of a grant or session through the adapter (or the revocation
//   of a grant) in the request drops them.
// - The tokens an app endpoint issued and has not yet written: they are written together, in one
//   statement, before its answer goes out (`appRequest`, adapter.ts); and that write while it runs,
//   which every later statement of the request and its answer wait for.
// Both live on the request's own context object (the provider's `Provider.ctx`, which is the koa
// context), under properties only this module knows. The app endpoints let go of them as soon as the
// request is done (`endRequest`, via adapter.ts `appRequest`): V8 may keep a finished request's context a while.
import { Provider } from 'oidc-provider';

const KEPT = Symbol('hk-idp request rows');
const ISSUED = Symbol('hk-idp issued tokens');
const WRITING = Symbol('hk-idp issued tokens being written');
type Request = { [KEPT]?: unknown; [ISSUED]?: Map<string, unknown[]>; [WRITING]?: Promise<unknown> };

const current = () => Provider.ctx as Request | undefined;

/** Whether there is a request to keep rows for (outside one, e.g. in the CLI, nothing is kept). */
export const inRequest = (): boolean => Provider.ctx !== undefined;

export function keepForRequest(rows: unknown): void {
  const ctx = current();
  if (ctx) ctx[KEPT] = rows;
}

/** The rows kept for `request` (the current one by default). */
export function keptForRequest<T>(request: object | undefined = current()): T | undefined {
  return (request as Request | undefined)?.[KEPT] as T | undefined;
}

/** Drops the rows kept for `request` (the current one by default). */
export function dropRequestRows(request: object | undefined = current()): void {
  const kept = request as Request | undefined;
  if (kept?.[KEPT] !== undefined) kept[KEPT] = undefined;
}

/** Marks `request` as one whose issued tokens wait to be written together (`writeHeld`). */
export function holdIssued(request: object): void {
  (request as Request)[ISSUED] = new Map();
}

/**
 * Holds one issued token's row (its bindings) for the current request, when that request holds them;
 * false when it does not (the caller writes the row at once). A second write of the same key replaces the first.
 */
export function holdIssuedRow(key: string, bindings: unknown[]): boolean {
  const held = current()?.[ISSUED];
  if (!held) return false;
  held.set(key, bindings);
  return true;
}

/**
 * Starts `write` of the rows held for `request` (the current one by default), handing them over once,
 * and answers the write of the request's rows under way (after any earlier one), whoever started it:
 * a statement the request itself did not wait for (a listener of the library's events) must not let
 * the answer or a later statement pass its write. Undefined when the request never held any.
 */
export function writeHeld(request: object | undefined = current(), write: (rows: unknown[][]) => Promise<unknown>): Promise<unknown> | undefined {
  const pending = request as Request | undefined;
  if (!pending) return undefined;
  const held = pending[ISSUED];
  if (held && held.size > 0) {
    const rows = [...held.values()];
    held.clear();
    const earlier = pending[WRITING];
    pending[WRITING] = earlier ? earlier.then(() => write(rows)) : write(rows);
  }
  return pending[WRITING];
}

/** `request` is done: nothing it kept stays on it, and what it still holds is never written. */
export function endRequest(request: object): void {
  dropRequestRows(request);
  const done = request as Request;
  // (Only where set: a request that never held any gets no new properties.)
  if (done[ISSUED] !== undefined) done[ISSUED] = undefined;
  if (done[WRITING] !== undefined) done[WRITING] = undefined;
}
