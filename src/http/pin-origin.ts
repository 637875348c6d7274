// URLs the provider builds (discovery endpoints, redirects, links) follow the request's Host header
// and scheme. Pin both to the configured issuer so a forged Host, X-Forwarded-Host or
// X-Forwarded-Proto can never leak into them. (An https issuer sits behind a TLS-terminating proxy,
// which settings require to be counted in TRUST_PROXY_HOPS; the scheme is the issuer's, not the request's.)
import type { Context } from 'koa';

export function pinOrigin(issuer: string) {
  const { host, protocol } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  // A step of the request's preparation (server.ts), not a middleware of its own: every layer costs every request.
  return (ctx: Context): void => {
    const headers = ctx.req.headers;
    headers.host = host;
    // (Deleted only when there: a delete makes every later header look-up of the request slower.)
    if (headers['x-forwarded-host'] !== undefined) delete headers['x-forwarded-host'];
    if (ctx.app.proxy) headers['x-forwarded-proto'] = scheme;
  };
}
