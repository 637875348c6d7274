// /metrics in the Prometheus text format, computed from shared state (the audit log and the
// counters), so every instance reports the same numbers and nothing lives in one process's memory.
// Guarded by METRICS_TOKEN; without one it exists only outside production.
import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { CounterStore } from '../security/counters.ts';
import type { SendLimits } from '../security/send-limits.ts';
import type { Db } from '../storage/db.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

function authorized(ctx: Context, token: string | null, production: boolean): boolean {
  if (!token) return !production;
  const sent = Buffer.from(ctx.get('authorization'));
  const expected = Buffer.from(`Bearer ${token}`);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

export function metricsRoute(deps: { db: Db; counters: CounterStore; limits: SendLimits; now: () => number; token: string | null; production: boolean }) {
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== '/metrics' || ctx.method !== 'GET') return next();
    if (!authorized(ctx, deps.token, deps.production)) return next(); // as if it did not exist
    const now = deps.now();
    const events = (await deps.db('audit_log').where('at', '>', now - HOUR).groupBy('event').select('event').count({ n: '*' })) as { event: string; n: number | string }[];
    const lines = [
      '# HELP hk_audit_events_last_hour Security events in the audit log during the last hour.',
      '# TYPE hk_audit_events_last_hour gauge',
      ...events.map((row) => `hk_audit_events_last_hour{event="${String(row.event).replace(/["\\\n]/g, '_')}"} ${Number(row.n)}`),
      '# HELP hk_sms_sent_this_hour SMS sends counted against the hourly budget.',
      '# TYPE hk_sms_sent_this_hour gauge',
      `hk_sms_sent_this_hour ${await deps.counters.peek('sms-budget', HOUR, now)}`,
      `hk_sms_budget_hour ${deps.limits.smsPerHour}`,
      '# HELP hk_sms_sent_today SMS sends counted against the daily budget.',
      '# TYPE hk_sms_sent_today gauge',
      `hk_sms_sent_today ${await deps.counters.peek('sms-budget-day', DAY, now)}`,
      `hk_sms_budget_day ${deps.limits.smsPerDay}`,
    ];
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = `${lines.join('\n')}\n`;
  };
}
