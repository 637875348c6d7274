// /metrics in the Prometheus text format, from this instance's registry (src/observability/metrics.ts).
// Guarded by METRICS_TOKEN; without one it exists only outside production.
import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Metrics } from '../observability/metrics.ts';

function authorized(ctx: Context, token: string | null, production: boolean): boolean {
  if (!token) return !production;
  const sent = Buffer.from(ctx.get('authorization'));
  const expected = Buffer.from(`Bearer ${token}`);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

export function metricsRoute(deps: { metrics: Metrics; token: string | null; production: boolean }) {
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== '/metrics' || ctx.method !== 'GET') return next();
    if (!authorized(ctx, deps.token, deps.production)) return next(); // as if it did not exist
    const body = await deps.metrics.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = deps.metrics.contentType;
    ctx.body = body;
  };
}
