// Headers on every response: no framing, no inline script or style, no sniffing, no referrer.
import type { Context } from 'koa';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(options: { https: boolean }) {
  const headers: [string, string][] = [
    ['content-security-policy', CSP],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'no-referrer'],
    ['cross-origin-opener-policy', 'same-origin'],
  ];
  if (options.https) headers.push(['strict-transport-security', 'max-age=31536000; includeSubDomains']);
  // A step of the request's preparation (server.ts), not a middleware of its own. Every request pays
  // for these: set on Node's response itself (koa's `set` builds four arrays on each call), with names in
  // lower case (the key Node keeps each header under).
  return (ctx: Context): void => {
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
  };
}
