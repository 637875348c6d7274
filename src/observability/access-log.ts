// The first middleware of every request: gives it an id (the caller's X-Request-Id when it is a
// sane one, else a new one a person can read aloud), runs the rest inside that id's context, and
// writes one access log line and one duration observation when the answer is sent.
// The line names the route template, never the path or query: those can carry codes, tokens and
// code_verifier.
import { randomInt } from 'node:crypto';
import type { Context, Next } from 'koa';
import { requestContext, type Logger } from './logger.ts';

/** What a caller-supplied request id may look like (a load balancer's UUID, a trace id). */
const INCOMING_ID = /^[A-Za-z0-9._:-]{6,64}$/;
/** Crockford's base32 without I, L, O, U: unambiguous when read over the phone. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new id like "K7Q2-M9XD": short enough for a member to read to a caseworker. */
export function newRequestId(): string {
  // 40 random bits, 5 to a character (one draw, not eight: this runs for every request).
  const bits = randomInt(2 ** 40);
  let id = '';
  for (let shift = 35; shift >= 0; shift -= 5) id += ALPHABET[Math.floor(bits / 2 ** shift) % 32];
  return `${id.slice(0, 4)}-${id.slice(4)}`;
}

export function requestIdOf(ctx: Context): string {
  return (ctx.state as { requestId?: string }).requestId ?? '';
}

/** Paths answered outside any router that are worth their own label. */
const FIXED = new Set(['/healthz', '/readyz', '/metrics', '/']);

/** The route template of the request: bounded label values, no identifiers from the path. */
export function routeOf(ctx: Context): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  // oidc-provider names its own routes (authorization, token, userinfo, jwks, ...).
  const oidcRoute = (ctx as { oidc?: { route?: unknown } }).oidc?.route;
  if (typeof oidcRoute === 'string') return `oidc:${oidcRoute}`;
  if (FIXED.has(ctx.path)) return ctx.path;
  if (ctx.path.startsWith('/.well-known/')) return ctx.path.slice(0, 80).replace(/[^\w./-]/g, '_');
  return ctx.status === 404 ? 'not_found' : 'other';
}

/** The status koa answers an error that got past every handler with: the error's HTTP error status, else 500. */
export function statusOfError(error: unknown): number {
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
  const given = status ?? statusCode;
  return typeof given === 'number' && Number.isInteger(given) && given >= 400 && given <= 599 ? given : 500;
}

export type RequestObservation = { method: string; route: string; status: number; seconds: number };

export function accessLog(logger: Logger, observe: (request: RequestObservation) => void = () => {}) {
  const log = logger.child({ kind: 'access' });
  return async (ctx: Context, next: Next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = INCOMING_ID.test(incoming) ? incoming : newRequestId();
    ctx.state.requestId = requestId;
    ctx.res.setHeader('x-request-id', requestId);
    const started = performance.now();
    // An error thrown past every handler is answered by koa, with the error's status or 500, not with
    // whatever status the request had reached.
    let escaped: number | undefined;
    try {
      // Everything after runs in the request's log context (every line carries its id).
      await requestContext.run({ requestId }, next);
    } catch (error) {
      escaped = statusOfError(error);
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const method = /^[A-Z]{1,10}$/.test(ctx.method) ? ctx.method : 'OTHER';
      const route = routeOf(ctx);
      const status = escaped ?? ctx.status;
      observe({ method, route, status, seconds });
      // (Built only when written: production may log errors only. Outside the context here: the id given.)
      if (log.isLevelEnabled('info')) log.info({ requestId, method, route, status, durationMs: Math.round(seconds * 1000) }, 'request');
    }
  };
}
