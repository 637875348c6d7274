// The composition root: opens storage, builds the provider, and lists the whole HTTP stack in the
// order a request passes it (see "The HTTP stack" below). The only core file that knows interactions/
// exists (it wires them in; the core itself never calls a flow).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context, DefaultState, ParameterizedContext } from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';
import { oidcRoutesForApps, ROUTES, signedTokenLifetime } from '../config/oidc.ts';
import type { Settings } from '../config/settings.ts';
import {
  createRenderer,
  handleErrors,
  logoutPages,
  ownProviderForms,
  registerInteractions,
  registerStaticFiles,
  renderProviderError,
  returnWhenSignedOut,
  shedWhenBusy,
  signInForErrorPage,
  type MessageTemplate,
} from '../interactions/index.ts';
import { fulfilFirstTimePasswordOrder } from './accounts/first-time-passwords.ts';
import { fulfilBusinessCodeOrder } from './accounts/business-activation.ts';
import { createPasswordHasher } from './accounts/passwords.ts';
import { createHashPool, type HashPool } from './accounts/hash-pool.ts';
import { createDevOutbox, type Connector, type DevOutboxEntry } from './delivery/delivery.ts';
import { createOutboxWorker, type OutboxWorker } from './delivery/outbox.ts';
import { createDelivery } from './delivery/router.ts';
import type { SignInDeps } from './accounts/sign-in.ts';
import { audit } from './audit/audit.ts';
import { seedDemo } from './demo.ts';
import { ensureConsoleClient } from './staff/console-client.ts';
import { healthRoutes } from './http/health.ts';
import { metricsRoute } from './http/metrics.ts';
import { pinOrigin } from './http/pin-origin.ts';
import { securityHeaders } from './http/security-headers.ts';
import { formBody } from './http/strict-form.ts';
import { runPurge, type PurgeReport } from './maintenance/purge.ts';
import { accessLog, requestIdOf } from './observability/access-log.ts';
import { createLogger, logFunction, type Logger } from './observability/logger.ts';
import { createMetrics, type HashQueueState, type Metrics } from './observability/metrics.ts';
import { createCounterStore, type CounterStore } from './security/counters.ts';
import { createSendGuard } from './security/send-limits.ts';
import { createBackchannelWorker, queueProviderLogouts, type BackchannelWorker } from './oidc/backchannel.ts';
import { loadSigningKeys } from './oidc/keys.ts';
import { createProvider } from './oidc/provider.ts';
import { appRequest } from './oidc/adapter.ts';
import { FIRST_MIGRATION, migrate, openDatabase, pendingMigrations, type Db } from './storage/db.ts';

export type Idp = {
  settings: Settings;
  db: Db;
  provider: Provider;
  /** The password hasher, bounded: its stats() are the hash queue's metrics. */
  hasher: HashPool;
  outbox: OutboxWorker;
  /** Delivers queued back-channel logout notifications to the apps. */
  backchannel: BackchannelWorker;
  counters: CounterStore;
  logger: Logger;
  metrics: Metrics;
  devOutbox?: DevOutboxEntry[];
  /** Lines worth printing at start (demo credentials, where to go). */
  notices: string[];
  listen(port?: number, host?: string): Promise<Server>;
  /** Runs the purge now (unless another instance is purging). */
  purge(): Promise<PurgeReport>;
  /**
   * The graceful stop (SIGTERM): /readyz answers 503 at once; after SHUTDOWN_GRACE new connections
   * are refused; requests in flight finish (cut after SHUTDOWN_TIMEOUT); the outbox worker hands
   * back what it claimed; then everything is closed.
   */
  shutdown(): Promise<void>;
  /** Stops at once (tests). */
  close(): Promise<void>;
};

export type IdpOptions = {
  /** PostgreSQL schema to use (tests give each server its own). */
  schema?: string;
  now?: () => number;
  /** Carries SMS and e-mail instead of what the settings choose (tests); the SMS allow-list still applies. */
  connector?: Connector;
  /** Message kinds only this instance knows (tests register neutral kinds here). */
  messageTemplates?: Record<string, MessageTemplate>;
  /** How often the outbox and back-channel logout workers look for due work; 0 = never by itself (tests call deliverDue()). */
  outboxIntervalMs?: number;
  /** Where log lines go (tests pass a silent or capturing logger); default: from the settings. */
  logger?: Logger;
  /** The password-hash queue's state, for the metrics. */
  hashQueue?: () => HashQueueState;
  /** Whether the shared counters run degraded (Redis down), for the metrics; default: the counter store says. */
  countersDegraded?: () => boolean;
  /** Print dev-outbox messages (the console outbox); tests turn it off. */
  print?: (line: string) => void;
};

const PURGE_INTERVAL_MS = 10 * 60 * 1000;
const OUTBOX_INTERVAL_MS = 1000;

export async function createIdp(settings: Settings, options: IdpOptions = {}): Promise<Idp> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger({ mode: settings.mode, level: settings.operations.logLevel });
  const log = logFunction(logger);
  const db = openDatabase(settings.databaseUrl, { schema: options.schema, ...settings.database });
  // Without it the runtime user needs no schema rights: `hk-idp migrate` is the deploy step, and
  // /readyz answers 503 while the schema is behind.
  if (settings.operations.migrateOnStart) await migrate(db);
  else if ((await pendingMigrations(db)).includes(FIRST_MIGRATION)) {
    await db.destroy();
    throw new Error('the database has no schema yet: run `hk-idp migrate` first (MIGRATE_ON_START=false)');
  }
  const keys = await loadSigningKeys(db, { secret: settings.keyEncryptionKey, now: now(), retentionSeconds: signedTokenLifetime });
  const render = createRenderer({ contactEmail: settings.contactEmail, brandName: settings.brand.name, issuer: settings.issuer, extraTemplates: options.messageTemplates });
  const outbox = settings.devOutbox ? createDevOutbox(render, options.print) : undefined;
  const delivery = createDelivery(settings.delivery, { render, devOutbox: outbox?.connector, replace: options.connector });

  const provider = createProvider(settings, {
    db,
    keys,
    now,
    pages: { ...logoutPages(settings, { db, now }), renderError: renderProviderError(settings) },
  });
  provider.on('server_error', (_ctx, error) => log('provider error', error));
  // An error that got past every handler, which koa answers with a bare 500: one error line through
  // the logger with the request's id (koa would print the stack to stderr). Client errors koa
  // answers by design (404, an exposed message) are not failures of the server.
  // (The Provider is the koa application; its types list only the provider's own events.)
  (provider as Koa).on('error', (error: { status?: unknown; expose?: unknown }, ctx?: Context) => {
    if (error?.status === 404 || error?.expose) return;
    logger.error({ err: error, requestId: ctx ? requestIdOf(ctx) : undefined }, 'request failed past every handler');
  });
  const backchannel = createBackchannelWorker({ db, provider, deliver: queueProviderLogouts(provider, db, now), now, log });
  // The provider's logout goes on if a notification could not be queued; the operator must hear of it.
  provider.on('backchannel.error', (_ctx, error) => log('back-channel logout could not be queued', error));
  let draining = false;

  const counters = createCounterStore(db, settings, log);
  // An operator must hear when the SMS budget is spent: an error line a log alert can match, and an
  // audit event that /metrics counts.
  const sendGuard = createSendGuard(counters, settings.sendLimits, now, (message) => {
    logger.error({ alert: 'sms_budget_spent' }, `ALERT ${message}`);
    audit(db, { event: 'alert.sms_budget_spent', detail: { message } }, now()).catch((error) => log('audit failed', error));
  });
  // Orders are recorded by the requests and fulfilled here, by the outbox worker, before it delivers.
  const worker = createOutboxWorker({
    db,
    connector: delivery.connector,
    now,
    log,
    orders: {
      first_time_password: (order, claim) => fulfilFirstTimePasswordOrder(db, settings, sendGuard, order, claim, now()).then(() => {}),
      business_code: (order, claim) => fulfilBusinessCodeOrder(db, settings.passwordPepper, sendGuard, settings.oneTimeCodeTtl * 1000, order, claim, now()).then(() => {}),
    },
  });
  // The metrics read the hash pool's queue when scraped; the pool reports each wait to them.
  const metrics = createMetrics({
    db,
    counters,
    limits: settings.sendLimits,
    now,
    hashQueue:
      options.hashQueue ??
      (() => {
        const stats = hasher.stats();
        return { depth: stats.queued, running: stats.running, shed: stats.shed };
      }),
    countersDegraded: options.countersDegraded ?? (() => counters.degraded()),
  });
  // Bounded: at most the cores hash at once, a short queue behind them, the rest is shed (a busy page).
  const hasher = createHashPool(createPasswordHasher(settings.passwordPepper, settings.bcryptCost), {
    size: settings.hashPoolSize,
    maxQueue: settings.hashQueueMax,
    onWait: (ms) => metrics.observeHashWait(ms / 1000),
  });
  const signIn: SignInDeps = {
    db,
    hasher,
    counters,
    now,
    pepper: settings.passwordPepper,
    lock: { freeFailures: settings.signInFreeFailures, firstDelayMs: 30_000, maxDelayMs: settings.signInMaxDelay * 1000, ttlMs: 24 * 3600_000 },
    ipFailuresPerHour: settings.signInIpFailuresPerHour,
  };
  const deps = { settings, db, provider, hasher, counters, signIn, sendGuard, now };

  // Our routes: the flows' pages and form posts, and the static files they link to.
  const routes = new Router();
  // Body parsing: only our form posts, small and strictly checked; the provider reads its own bodies.
  // (The invitation page, at /business/invitation/, parses its form in its own route.)
  routes.use(['/interaction', '/console'], formBody);
  registerStaticFiles(routes, settings.brand);
  // The page that shows what was "sent" (codes included) never exists in production.
  const devOutboxPage = settings.mode === 'production' ? undefined : outbox?.entries;
  registerInteractions(routes, deps, { devOutbox: devOutboxPage, demo: settings.demo });

  // The HTTP stack, in the order a request passes it. The Provider is the koa application: its own
  // routes (authorization, token, userinfo, discovery, ...) come after everything used here.
  // Request id, access log line and request metrics, around everything else.
  provider.use(accessLog(logger, metrics.observeRequest));
  // Then, in one layer (each layer is paid by every request): the request prepared by plain steps,
  // and on to the provider, or first through the pages' stack.
  // - While draining, kept-alive connections are closed after each answer so clients reconnect elsewhere.
  // - Host and scheme pinned to the issuer, before anything builds a URL.
  // - The security headers.
  const prepare = [(ctx: Context) => draining && ctx.set('Connection', 'close'), pinOrigin(settings.issuer), securityHeaders({ https: settings.issuer.startsWith('https:') })];
  // The provider's endpoints for apps (oidcRoutesForApps) skip the pages' stack: it serves pages and
  // forms, and a vote deadline brings those requests by the thousand. The provider answers them
  // itself, errors included (as JSON).
  // (The routers' middleware is typed for router contexts: `any` lets the one stack hold both kinds.)
  const pages = compose<ParameterizedContext<DefaultState, any>>([
    // The one error handler: every failure below becomes a page (src/errors.ts, interactions/errors/).
    handleErrors(settings, log, signInForErrorPage(deps)),
    // Sign-ins beyond what password hashing can serve are refused at once (the busy page).
    shedWhenBusy(hasher, formBody),
    // Our pages in place of the provider's own account-switch and logout forms, and the way back after a logout.
    ownProviderForms(deps),
    returnWhenSignedOut,
    routes.routes(),
    routes.allowedMethods(),
    healthRoutes({ db, now, log, draining: () => draining }),
    metricsRoute({ metrics, token: settings.metricsToken, production: settings.mode === 'production' }),
  ]);
  const forApps = oidcRoutesForApps();
  provider.use((ctx, next) => {
    for (const step of prepare) step(ctx);
    const methods = forApps.get(ctx.path);
    if (!methods) return pages(ctx, next);
    // The token endpoint's new tokens are written in one statement, before its answer goes out; what
    // a request kept for the store is let go when it is done (adapter.ts, appRequest).
    if (methods.includes(ctx.method)) return appRequest(db, ctx, next, log, ctx.path === ROUTES.token);
    // An app's endpoint asked with a method it does not have: the provider would leave it unanswered (a bare 404).
    ctx.status = 405;
    ctx.set('Allow', methods.join(', '));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_request', error_description: `${ctx.method} is not allowed here (allowed: ${methods.join(', ')})` };
  });

  await ensureConsoleClient(db, settings.issuer, settings.mode === 'production');
  const notices = settings.demo ? await seedDemo(db, hasher, settings.issuer) : [];
  if (outbox) notices.push(`Development outbox: ${settings.issuer}/dev/outbox`);
  if (outbox && settings.mode === 'production') notices.push('WARNING: DEV_OUTBOX=true in production: messages, codes included, are printed to the console');

  const interval = options.outboxIntervalMs ?? OUTBOX_INTERVAL_MS;
  if (interval > 0) worker.start(interval);
  if (interval > 0) backchannel.start(interval);
  const purgeNow = async () => {
    const report = await runPurge(db, { now: now(), auditRetentionDays: settings.operations.auditRetentionDays });
    if (report.ran) logger.info({ purged: report.purged }, 'purge done');
    return report;
  };
  const purge = setInterval(() => purgeNow().catch((error) => log('purge failed', error)), PURGE_INTERVAL_MS);
  purge.unref();
  let server: Server | undefined;
  let stopping: Promise<void> | undefined;
  const closeResources = async () => {
    await counters.close();
    delivery.close();
    await db.destroy();
  };

  return {
    settings,
    db,
    provider,
    hasher,
    outbox: worker,
    backchannel,
    counters,
    logger,
    metrics,
    devOutbox: outbox?.entries,
    notices,
    async listen(port = settings.port, host?: string) {
      server = createServer(provider.callback());
      // Slow or oversized requests must not tie up the server.
      server.headersTimeout = 20_000;
      server.requestTimeout = 30_000;
      await new Promise<void>((resolve) => server!.listen(port, host, resolve));
      return server;
    },
    purge: purgeNow,
    shutdown() {
      stopping ??= (async () => {
        const { shutdownGrace, shutdownTimeout } = settings.operations;
        draining = true;
        logger.info({ graceSeconds: shutdownGrace }, 'shutdown: readiness off, refusing new connections after the grace period');
        clearInterval(purge);
        // Started at once: nothing new is claimed, and another instance takes over what this one held.
        // Sends under way get a few seconds (a connector has its own timeouts); handing back a send that
        // then succeeds means one message twice, which is better than one lost for the 5-minute lease.
        const handBackAfter = { waitMs: Math.min(shutdownTimeout, Math.max(shutdownGrace, 5)) * 1000 };
        const outboxStopped = Promise.all([worker.stop(handBackAfter), backchannel.stop(handBackAfter)]);
        if (shutdownGrace) await new Promise((resolve) => setTimeout(resolve, shutdownGrace * 1000));
        if (server) {
          const closed = new Promise((resolve) => server!.close(resolve));
          server.closeIdleConnections();
          const cut = setTimeout(() => {
            logger.warn('shutdown: requests still in flight after SHUTDOWN_TIMEOUT; closing their connections');
            server!.closeAllConnections();
          }, shutdownTimeout * 1000);
          await closed;
          clearTimeout(cut);
        }
        await outboxStopped;
        await closeResources();
        logger.info('shutdown: done');
      })();
      return stopping;
    },
    async close() {
      if (stopping) return stopping;
      draining = true;
      clearInterval(purge);
      await worker.stop();
      await backchannel.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise((resolve) => server!.close(resolve));
        // One more turn of the event loop, so in-process clients see their connections closed (with
        // the synchronous SQLite driver, the rest of a close and a restart may not yield to I/O at all).
        await new Promise((resolve) => setImmediate(resolve));
      }
      await closeResources();
    },
  };
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;
