// One instance's metrics (prom-client, a Registry of its own: several instances share a test process).
// Cheap to scrape: counts are kept in process as things happen; what must come from the database
// (outbox backlog, SMS spent) is read by indexed lookups, at most once a second.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { onAudit } from '../audit/audit.ts';
import { outboxHealth } from '../delivery/outbox.ts';
import { orderHealth } from '../delivery/orders.ts';
import type { CounterStore } from '../security/counters.ts';
import type { SendLimits } from '../../config/settings.ts';
import type { Db } from '../storage/db.ts';
import type { RequestObservation } from './access-log.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** What the password-hash pool reports when asked (wired by whoever builds the pool). */
export type HashQueueState = { depth: number; running: number; /** Refused at once since start (the busy page). */ shed: number };

export type MetricsDeps = {
  db: Db;
  counters: CounterStore;
  limits: SendLimits;
  now: () => number;
  /** The password-hash queue right now; without it the gauges stay at 0. */
  hashQueue?: () => HashQueueState;
  /** True while the shared counters run degraded (Redis down); without it the gauge stays at 0. */
  countersDegraded?: () => boolean;
};

export type Metrics = {
  registry: Registry;
  observeRequest(request: RequestObservation): void;
  /** Seconds a password hash waited in the queue before it ran (the hash pool calls this). */
  observeHashWait(seconds: number): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
};

/** Reuses one database read for every gauge of one scrape (and for scrapes less than `ms` apart). */
function memo<T>(read: () => Promise<T>, now: () => number, ms = 1000): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const at = now();
    if (!last || at - last.at >= ms || at < last.at) last = { at, value: read() };
    const value = last.value;
    value.catch(() => (last = undefined));
    return value;
  };
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  // Process metrics: CPU, memory, handles, GC, event-loop lag.
  collectDefaultMetrics({ register: registry });

  const requestDuration = new Histogram({
    name: 'hk_http_request_duration_seconds',
    help: 'Time to answer a request, by route template (never a raw path).',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'hk_sign_ins_total',
    help: 'Password sign-ins by outcome (succeeded, failed, throttled) and kind of account.',
    labelNames: ['outcome', 'kind'],
    registers: [registry],
  });
  const auditEvents = new Counter({
    name: 'hk_audit_events_total',
    help: 'Security events written to the audit log by this instance.',
    labelNames: ['event'],
    registers: [registry],
  });
  onAudit(deps.db, (entry) => {
    auditEvents.inc({ event: entry.event });
    if (entry.event === 'sign_in.succeeded' || entry.event === 'sign_in.failed' || entry.event === 'sign_in.throttled') {
      const kind = entry.detail.kind;
      signIns.inc({ outcome: entry.event.slice('sign_in.'.length), kind });
    }
  });

  const outbox = memo(() => outboxHealth(deps.db, deps.now()), deps.now);
  new Gauge({
    name: 'hk_outbox_backlog',
    help: 'Messages waiting to be delivered (pending or being sent).',
    registers: [registry],
    async collect() {
      this.set((await outbox()).backlog);
    },
  });
  new Gauge({
    name: 'hk_outbox_oldest_age_seconds',
    help: 'Age of the oldest undelivered message.',
    registers: [registry],
    async collect() {
      this.set((await outbox()).oldestUndeliveredAgeSeconds);
    },
  });
  new Gauge({
    name: 'hk_outbox_failed',
    help: 'Messages that failed for good and are still kept.',
    registers: [registry],
    async collect() {
      this.set((await outbox()).failed);
    },
  });

  const orders = memo(() => orderHealth(deps.db, deps.now()), deps.now);
  new Gauge({
    name: 'hk_orders_backlog',
    help: 'Orders (first-time passwords, codes) not yet fulfilled by the worker.',
    registers: [registry],
    async collect() {
      this.set((await orders()).backlog);
    },
  });
  new Gauge({
    name: 'hk_orders_oldest_age_seconds',
    help: 'Age of the oldest order not yet fulfilled.',
    registers: [registry],
    async collect() {
      this.set((await orders()).oldestAgeSeconds);
    },
  });

  const sms = memo(async () => {
    const now = deps.now();
    return { hour: await deps.counters.peek('sms-budget', HOUR, now), day: await deps.counters.peek('sms-budget-day', DAY, now) };
  }, deps.now);
  const smsGauge = (name: string, help: string, value: () => Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await value());
      },
    });
  smsGauge('hk_sms_sent_this_hour', 'SMS sends counted against the hourly budget.', async () => (await sms()).hour);
  smsGauge('hk_sms_budget_hour', 'The hourly SMS budget (SMS_BUDGET_HOUR).', async () => deps.limits.smsPerHour);
  smsGauge('hk_sms_sent_today', 'SMS sends counted against the daily budget.', async () => (await sms()).day);
  smsGauge('hk_sms_budget_day', 'The daily SMS budget (SMS_BUDGET_DAY).', async () => deps.limits.smsPerDay);

  new Gauge({
    name: 'hk_password_hash_queue_depth',
    help: 'Password hashes waiting for a worker.',
    registers: [registry],
    collect() {
      this.set(deps.hashQueue?.().depth ?? 0);
    },
  });
  new Gauge({
    name: 'hk_password_hash_running',
    help: 'Password hashes being computed now.',
    registers: [registry],
    collect() {
      this.set(deps.hashQueue?.().running ?? 0);
    },
  });
  new Counter({
    name: 'hk_password_hash_shed_total',
    help: 'Sign-ins and new passwords answered at once with the busy page because password hashing was full.',
    registers: [registry],
    collect() {
      // The pool counts; the counter shows its count (reset first: a counter only adds).
      this.reset();
      this.inc(deps.hashQueue?.().shed ?? 0);
    },
  });
  const hashWait = new Histogram({
    name: 'hk_password_hash_wait_seconds',
    help: 'Time a password hash waited in the queue before a worker took it.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'hk_counters_degraded',
    help: '1 while the shared counters (Redis) are unreachable and a fallback is in use.',
    registers: [registry],
    collect() {
      this.set(deps.countersDegraded?.() ? 1 : 0);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    observeRequest({ method, route, status, seconds }) {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
    },
    observeHashWait(seconds) {
      hashWait.observe(seconds);
    },
    render: () => registry.metrics(),
  };
}
