// Probes for the load balancer and monitoring. /healthz: the process answers (liveness).
// /readyz: the database answers, plus the outbox backlog and the age of the oldest undelivered
// message, so a stuck delivery is visible. JSON only, no secrets, no recipients.
import type { Context, Next } from 'koa';
import { outboxHealth } from '../delivery/outbox.ts';
import type { Db } from '../storage/db.ts';

export function healthRoutes(deps: { db: Db; now: () => number; log: (message: string, error?: unknown) => void }) {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    ctx.set('Cache-Control', 'no-store');
    try {
      ctx.body = { status: 'ready', outbox: await outboxHealth(deps.db, deps.now()) };
    } catch (error) {
      deps.log('readiness check failed', error);
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
    }
  };
}
