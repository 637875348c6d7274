// URLs the provider builds (discovery endpoints, redirects, links) follow the request's Host header.
// Pin it to the configured issuer so a forged Host or X-Forwarded-Host can never leak into them.
import type { Context, Next } from 'koa';

export function pinOrigin(issuer: string) {
  const { host } = new URL(issuer);
  return async (ctx: Context, next: Next) => {
    ctx.req.headers.host = host;
    delete ctx.req.headers['x-forwarded-host'];
    await next();
  };
}
