// The composition root: opens storage, builds the provider, mounts the flows. The only core file
// that knows interactions/ exists (it wires them in; the core itself never calls a flow).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { signedTokenLifetime } from '../config/oidc.ts';
import type { Settings } from '../config/settings.ts';
import { createRenderer, logoutPages, mountInteractions, renderProviderError, type MessageTemplate } from '../interactions/index.ts';
import { purgeExpiredFirstTimePasswords } from './accounts/first-time-passwords.ts';
import { createPasswordHasher } from './accounts/passwords.ts';
import { createHashPool, type HashPool } from './accounts/hash-pool.ts';
import { createDevOutbox, type Connector, type DevOutboxEntry } from './delivery/delivery.ts';
import { createOutboxWorker, purgeOutbox, type OutboxWorker } from './delivery/outbox.ts';
import { createDelivery } from './delivery/router.ts';
import type { SignInDeps } from './accounts/sign-in.ts';
import { purgeInvitations } from './accounts/business-users.ts';
import { purgeOneTimeCodes } from './codes/one-time-codes.ts';
import { audit } from './audit/audit.ts';
import { seedDemo } from './demo.ts';
import { healthRoutes } from './http/health.ts';
import { metricsRoute } from './http/metrics.ts';
import { createCounterStore, purgeCounters, type CounterStore } from './security/counters.ts';
import { createSendGuard } from './security/send-limits.ts';
import { purgeExpired } from './oidc/adapter.ts';
import { loadSigningKeys } from './oidc/keys.ts';
import { createProvider } from './oidc/provider.ts';
import { migrate, openDatabase, type Db } from './storage/db.ts';

export type Idp = {
  settings: Settings;
  db: Db;
  provider: Provider;
  /** The password hasher, bounded: its stats() are the hash queue's metrics. */
  hasher: HashPool;
  outbox: OutboxWorker;
  counters: CounterStore;
  devOutbox?: DevOutboxEntry[];
  /** Lines worth printing at start (demo credentials, where to go). */
  notices: string[];
  listen(port?: number, host?: string): Promise<Server>;
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
  /** How often the outbox worker looks for due messages; 0 = never by itself (tests call deliverDue()). */
  outboxIntervalMs?: number;
  log?: (message: string, error?: unknown) => void;
  /** Print dev-outbox messages (the console outbox); tests turn it off. */
  print?: (line: string) => void;
};

const PURGE_INTERVAL_MS = 10 * 60 * 1000;
const OUTBOX_INTERVAL_MS = 1000;

export async function createIdp(settings: Settings, options: IdpOptions = {}): Promise<Idp> {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string, error?: unknown) => console.error(message, error ?? ''));
  const db = openDatabase(settings.databaseUrl, { schema: options.schema, ...settings.database });
  await migrate(db);
  const keys = await loadSigningKeys(db, { secret: settings.keyEncryptionKey, now: now(), retentionSeconds: signedTokenLifetime });
  const hasher = createHashPool(createPasswordHasher(settings.passwordPepper, settings.bcryptCost), {
    size: settings.hashPoolSize,
    maxQueue: settings.hashQueueMax,
  });
  const render = createRenderer({ contactEmail: settings.contactEmail, brandName: settings.brand.name, extraTemplates: options.messageTemplates });
  const outbox = settings.devOutbox ? createDevOutbox(render, options.print) : undefined;
  const delivery = createDelivery(settings.delivery, { render, devOutbox: outbox?.connector, replace: options.connector });
  const worker = createOutboxWorker({ db, connector: delivery.connector, now, log });

  const provider = createProvider(settings, {
    db,
    keys,
    now,
    pages: { ...logoutPages(settings), renderError: renderProviderError(settings) },
  });
  provider.on('server_error', (_ctx, error) => log('provider error', error));

  const counters = createCounterStore(db, settings);
  // An operator must hear when the SMS budget is spent: an error line a log alert can match, and an
  // audit event that /metrics counts.
  const sendGuard = createSendGuard(counters, settings.sendLimits, now, (message) => {
    log(`ALERT ${message}`);
    audit(db, { event: 'alert.sms_budget_spent', detail: { message } }, now()).catch((error) => log('audit failed', error));
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
  // The page that shows what was "sent" (codes included) never exists in production.
  const devOutboxPage = settings.mode === 'production' ? undefined : outbox?.entries;
  mountInteractions(provider, deps, { devOutbox: devOutboxPage, demo: settings.demo, log });
  provider.use(healthRoutes({ db, now, log }));
  provider.use(metricsRoute({ db, counters, limits: settings.sendLimits, now, token: settings.metricsToken, production: settings.mode === 'production' }));

  const notices = settings.demo ? await seedDemo(db, hasher, settings.issuer) : [];
  if (outbox) notices.push(`Development outbox: ${settings.issuer}/dev/outbox`);
  if (outbox && settings.mode === 'production') notices.push('WARNING: DEV_OUTBOX=true in production: messages, codes included, are printed to the console');

  const interval = options.outboxIntervalMs ?? OUTBOX_INTERVAL_MS;
  if (interval > 0) worker.start(interval);
  const purge = setInterval(
    () =>
      Promise.all([
        purgeExpired(db, now()),
        purgeOutbox(db, now()),
        purgeCounters(db, now()),
        purgeExpiredFirstTimePasswords(db, now()),
        purgeOneTimeCodes(db, now()),
        purgeInvitations(db, now()),
      ]).catch((error) => log('purge failed', error)),
    PURGE_INTERVAL_MS,
  );
  purge.unref();
  let server: Server | undefined;

  return {
    settings,
    db,
    provider,
    hasher,
    outbox: worker,
    counters,
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
    async close() {
      clearInterval(purge);
      await worker.stop();
      await counters.close();
      delivery.close();
      if (server) {
        server.closeAllConnections();
        await new Promise((resolve) => server!.close(resolve));
        // One more turn of the event loop, so in-process clients see their connections closed (with
        // the synchronous SQLite driver, the rest of a close and a restart may not yield to I/O at all).
        await new Promise((resolve) => setImmediate(resolve));
      }
      await db.destroy();
    },
  };
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;
