// Probes for the load balancer and monitoring. /healthz: the process answers (liveness).
// /readyz: the database answers and its schema is current, the instance is not shutting down, plus
// the outbox backlog and the age of the oldest undelivered message, so a stuck delivery is visible,
// and the same for orders not yet fulfilled (a flood of orders delays every real member's).
// JSON only, no secrets, no recipients.
import type { Context, Next } from 'koa';
import { outboxHealth } from '../delivery/outbox.ts';
import { orderHealth } from '../delivery/orders.ts';
import { pendingMigrations, type Db } from '../storage/db.ts';

export type HealthDeps = {
  db: Db;
  now: () => number;
  log: (message: string, error?: unknown) => void;
  /** True from the moment a shutdown begins: the load balancer must stop sending new requests here. */
  draining?: () => boolean;
};

export function healthRoutes(deps: HealthDeps) {
  // Once the schema was seen current it stays so (migrations only add); until then, checked per probe.
  let schemaCurrent = false;
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    ctx.set('Cache-Control', 'no-store');
    if (deps.draining?.()) {
      ctx.status = 503;
      ctx.body = { status: 'shutting_down' };
      return;
    }
    try {
      if (!schemaCurrent) {
        const pending = await pendingMigrations(deps.db);
        if (pending.length) {
          ctx.status = 503;
          ctx.body = { status: 'schema_behind', pendingMigrations: pending };
          return;
        }
        schemaCurrent = true;
      }
      const now = deps.now();
      ctx.body = { status: 'ready', outbox: await outboxHealth(deps.db, now), orders: await orderHealth(deps.db, now) };
    } catch (error) {
      deps.log('readiness check failed', error);
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
    }
  };
}
