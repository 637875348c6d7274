// Rows one statement brought along for the rest of the same request: a token's look-up also reads
// its grant, its session and its account (src/oidc/adapter.ts), which the provider reads right after.
// They are kept on the request (the provider's own request context, `Provider.ctx`), never across
// requests: every request still reads the database, so a revoked grant, an ended session or a
// disabled account stops the next request on every instance. A write of a grant or session through the
// adapter (or the revocation of a grant) in the request drops them.
import { Provider } from 'oidc-provider';

// On the request's own context object (a property only this module knows): it goes when the request does.
const KEPT = Symbol('hk-idp request rows');
type WithKept = { [KEPT]?: unknown };

/** Whether there is a request to keep rows for (outside one, e.g. in the CLI, nothing is kept). */
export const inRequest = (): boolean => Provider.ctx !== undefined;

export function keepForRequest(rows: unknown): void {
  const ctx = Provider.ctx as WithKept | undefined;
  if (ctx) ctx[KEPT] = rows;
}

export function keptForRequest<T>(): T | undefined {
  return (Provider.ctx as WithKept | undefined)?.[KEPT] as T | undefined;
}

export function dropRequestRows(): void {
  const ctx = Provider.ctx as WithKept | undefined;
  if (ctx?.[KEPT] !== undefined) ctx[KEPT] = undefined;
}
