// Typed settings: the only place that reads the environment. Every value is validated at start;
// in production a missing or unsafe value stops the start with a message naming the variable.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

export type Mode = 'development' | 'production' | 'test';

/** What every page shows of the organisation (the contact address is `contactEmail`). */
export type Brand = {
  /** The organisation's name, in the page header and every page title. */
  name: string;
  /** The logo in the page header: a path on this server or an https URL. */
  logoUrl: string;
  /** Buttons, links and accents; white text on it must meet WCAG AA contrast (4.5:1). */
  color: string;
  /** Hover and link colour; also at least 4.5:1 against white. */
  colorDark: string;
  /** The organisation's web site: the way on from pages that end a flow with no app to return to. */
  homeUrl: string;
};
export type WipeMoment = 'on-order' | 'on-use';
/** HK's phone for members who need help: shown in the footer and the sign-in help as a tel: link. */
export type ContactPhone = {
  /** As people read it, e.g. "23 06 40 00". */
  display: string;
  /** The tel: URI, international form, e.g. "tel:+4723064000". */
  uri: string;
  /** When the phone is answered on weekdays ("08:00"–"15:30"), or null if not said. */
  hours: { from: string; to: string } | null;
};

/** PostgreSQL connection settings (read below; SQLite ignores them). */
export type DatabaseOptions = {
  /** Connections per instance: instances × poolMax must stay below the server's max_connections. */
  poolMax: number;
  /** The server cancels any statement running longer; 0 = no limit. */
  statementTimeoutMs: number;
  /** As libpq's sslmode; null = as the URL's own sslmode says (no TLS when it says nothing). */
  sslMode: 'disable' | 'require' | 'verify-ca' | 'verify-full' | null;
  /** PEM certificate(s) of the CA that signed the server's certificate; null = the system's CAs. */
  sslCa: string | null;
};

/** Limits on sending first-time passwords and one-time codes (enforced by src/security/send-limits.ts). */
export type SendLimits = {
  /** Messages to one recipient (number or address) per 15 minutes, and per day. */
  perRecipientQuarter: number;
  perRecipientDay: number;
  /** Send requests from one IP (IPv6: one /64) per hour. */
  perIpHour: number;
  /** The SMS budget of the whole service, per hour and per day. */
  smsPerHour: number;
  smsPerDay: number;
};

export type Settings = {
  mode: Mode;
  /** Public origin (and path) of the provider; links in messages are built from it, never from request headers. */
  issuer: string;
  port: number;
  /** `sqlite:<file>` path or a `postgres://` URL. */
  databaseUrl: string;
  /** PostgreSQL pool, statement timeout and TLS (from DATABASE_URL's sslmode and DATABASE_SSL_CA_FILE). */
  database: DatabaseOptions;
  /** Password hashes at once (each takes a core for ~0.05–0.1 s): the cores, leaving libuv threads for SQLite and DNS. */
  hashPoolSize: number;
  /** Sign-ins that may wait for a free hash slot; beyond it a sign-in gets "busy, try again" at once. */
  hashQueueMax: number;
  dataDir: string;
  /** Signing keys for cookies; the first signs, all verify (rotation by prepending). */
  cookieKeys: string[];
  /** HMAC key applied to every password before bcrypt; kept outside the database. */
  passwordPepper: string;
  /** Encrypts the private signing keys stored in the database. */
  keyEncryptionKey: string;
  bcryptCost: number;
  /** How many X-Forwarded-For hops (reverse proxies) are trusted for the client IP. 0 = none. */
  trustProxyHops: number;
  /** Development conveniences: demo data and the demo app. Never in production. */
  demo: boolean;
  /**
   * Messages without a real transport are printed to the console (explicitly allowed in production
   * with DEV_OUTBOX=true); the /dev/outbox page that shows them exists only outside production.
   */
  devOutbox: boolean;
  /** Where people without an account are told to write. */
  contactEmail: string;
  /** Where people can call for help; null = no phone shown, and no page tells anyone to call. */
  contactPhone: ContactPhone | null;
  brand: Brand;
  /** Where members may e-mail a scanned paper ballot (shown in the sign-in help); null = not shown. */
  ballotEmail: string | null;
  /** Seconds a flow must wait before the same code or first-time password is sent again. */
  resendWait: number;
  /** A session ends after this long without use, seconds (shared computers). */
  sessionIdleTimeout: number;
  /** A session ends this long after sign-in however much it is used, seconds. */
  sessionMaxAge: number;
  /** Failed sign-ins allowed on one account before each next attempt must wait. */
  signInFreeFailures: number;
  /** The longest wait between attempts on a throttled account, seconds. Never a permanent lock. */
  signInMaxDelay: number;
  /** Failed sign-ins per hour from one IP, across accounts, before that IP is refused (spraying). */
  signInIpFailuresPerHour: number;
  /** Limits on sending first-time passwords and codes (see src/security/send-limits.ts). */
  sendLimits: SendLimits;
  /** Bearer token for /metrics; unset = /metrics only outside production. */
  metricsToken: string | null;
  /** Redis for counters (rate limits); unset = the database. */
  redisUrl: string | null;
  /** Prefix of every Redis key (several deployments may share one Redis). */
  redisPrefix: string;
  /** Lifetime of a first-time password, seconds. */
  firstTimePasswordTtl: number;
  /** When ordering a first-time password wipes the old credentials. */
  wipeCredentials: WipeMoment;
  passwordMinLength: number;
  /** Tries at the choose-username step (each answers whether a name is taken), per hour. */
  credentialChecks: { perFlowHour: number; perIpHour: number };
  /** Lifetime of a one-time code (business activation / reset), seconds. */
  oneTimeCodeTtl: number;
  /** Lifetime of a business invitation link, seconds. */
  invitationTtl: number;
  /** Where a business user lands after activating without an app in the picture. */
  businessPortalUrl: string;
  /** First-time passwords one caseworker may send from the console per calendar day in Norway (CONSOLE_SMS_PER_CASEWORKER_DAY). */
  consoleSmsPerCaseworkerDay: number;
  /** How e-mail and SMS leave the building; a channel without a real connector uses the dev outbox. */
  delivery: DeliverySettings;
  /**
   * Back-channel logout tokens may go to an app on a loopback address (127.0.0.0/8, [::1], localhost).
   * Every other private or special-use address stays refused whatever this says (SSRF guard).
   */
  backchannelAllowLoopback: boolean;
  /** Operating the service (src/observability, src/maintenance, the shutdown in src/server.ts). */
  operations: OperationsSettings;
};

export type OperationsSettings = {
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Seconds between SIGTERM (/readyz answers 503 at once) and refusing new connections, so the load balancer can notice. */
  shutdownGrace: number;
  /** Seconds requests in flight may take to finish after that before their connections are cut. */
  shutdownTimeout: number;
  /** Days the audit log is kept before the purge deletes a row. */
  auditRetentionDays: number;
  /** Apply migrations at start (false: the runtime user needs no schema rights; `hk-idp migrate` is the deploy step). */
  migrateOnStart: boolean;
};

export type SmtpSettings = {
  /** `smtp://` or `smtps://` URL, credentials included; never logged. */
  url: string;
  /** The From header, e.g. `"Handel og Kontor" <noreply@hk.no>`. */
  from: string;
  /** Refuse to send unless STARTTLS succeeds (production, plain smtp:// to another host). */
  requireTls: boolean;
};

export type VonageSettings = {
  apiKey: string;
  apiSecret: string;
  /** Alphanumeric sender (at most 11 characters) or a phone number. */
  sender: string;
  /** Passed to the SDK's restHost / apiHost (tests point them at a local stand-in). */
  restHost?: string;
  apiHost?: string;
};

export type DeliverySettings = {
  /** Undefined: e-mail goes to the dev outbox. */
  smtp?: SmtpSettings;
  /** Undefined: SMS goes to the dev outbox. */
  vonage?: VonageSettings;
  /** Country calling codes SMS may be sent to; anything else is refused before the SMS API is called. */
  smsAllowedCountryCodes: string[];
};

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** A #rrggbb colour that white text on it (and it as text on white) reads at AA contrast, 4.5:1. */
function brandColor(env: Env, name: string, fallback: string): string {
  const raw = (env[name] || fallback).toLowerCase();
  if (!/^#[0-9a-f]{6}$/.test(raw)) throw new ConfigError(name, `must be a colour like #b3001b, got "${raw}"`);
  const ratio = 1.05 / (luminance(raw) + 0.05);
  if (ratio < 4.5) throw new ConfigError(name, `${raw} against white has contrast ${ratio.toFixed(2)}:1; WCAG AA needs 4.5:1 (choose a darker colour)`);
  return raw;
}

function httpsUrl(env: Env, name: string, fallback: string, options: { localPath?: boolean } = {}): string {
  const raw = env[name] || fallback;
  if (options.localPath && /^\/(?!\/)[^\s"'<>\\]*$/.test(raw)) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an https URL${options.localPath ? ' or a path starting with /' : ''}, got "${raw}"`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(name, `must use https, got "${raw}"`);
  return url.href;
}

function brandName(env: Env): string {
  const name = (env.BRAND_NAME || 'Handel og Kontor').trim();
  if (name.length > 60) throw new ConfigError('BRAND_NAME', 'must be at most 60 characters');
  return name;
}

function email(env: Env, name: string, fallback: string | null): string | null {
  const raw = env[name] || fallback;
  if (raw === null) return null;
  if (!/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(raw)) throw new ConfigError(name, `must be an e-mail address, got "${raw}"`);
  return raw;
}

function contactPhone(env: Env): ContactPhone | null {
  const raw = env.CONTACT_PHONE?.trim();
  if (!raw) {
    if (env.CONTACT_PHONE_HOURS) throw new ConfigError('CONTACT_PHONE_HOURS', 'needs CONTACT_PHONE');
    return null;
  }
  if (!/^\+?\d[\d ]{6,18}\d$/.test(raw)) throw new ConfigError('CONTACT_PHONE', `must be a phone number like 23 06 40 00 or +47 23 06 40 00, got "${raw}"`);
  const digits = raw.replace(/ /g, '');
  // A Norwegian number without a country code (8 digits) is dialled as +47.
  const uri = `tel:${digits.startsWith('+') ? digits : /^\d{8}$/.test(digits) ? `+47${digits}` : digits}`;
  let hours: ContactPhone['hours'] = null;
  if (env.CONTACT_PHONE_HOURS) {
    const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(env.CONTACT_PHONE_HOURS.trim());
    if (!match || `${match[1]}${match[2]}` >= `${match[3]}${match[4]}`) {
      throw new ConfigError('CONTACT_PHONE_HOURS', `must be weekday opening hours like 08:00-15:30, got "${env.CONTACT_PHONE_HOURS}"`);
    }
    hours = { from: `${match[1]}:${match[2]}`, to: `${match[3]}:${match[4]}` };
  }
  return { display: raw, uri, hours };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function parseIssuer(raw: string, mode: Mode): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ISSUER', `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('ISSUER', 'must be http(s)');
  if (url.search || url.hash) throw new ConfigError('ISSUER', 'must not have a query or fragment');
  if (url.pathname !== '/') throw new ConfigError('ISSUER', 'must be an origin without a path (the provider serves from /)');
  if (mode === 'production' && url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new ConfigError('ISSUER', 'must use https in production');
  }
  return url.href.replace(/\/$/, '');
}

type DevSecrets = { cookieKeys: string[]; passwordPepper: string; keyEncryptionKey: string };

/** Development secrets are generated once and kept in the data folder, so restarts keep sessions, hashes and keys valid. */
function devSecrets(dataDir: string): DevSecrets {
  const file = join(dataDir, 'dev-secrets.json');
  const stored: Partial<DevSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const fresh = () => randomBytes(32).toString('base64url');
  const secrets: DevSecrets = {
    cookieKeys: stored.cookieKeys ?? [fresh()],
    passwordPepper: stored.passwordPepper ?? fresh(),
    keyEncryptionKey: stored.keyEncryptionKey ?? fresh(),
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

function secret(env: Env, name: string): string | undefined {
  const value = env[name] || undefined;
  if (value !== undefined && value.length < 32) throw new ConfigError(name, 'must be at least 32 characters');
  return value;
}

function secretList(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const keys = raw.split(',').map((key) => key.trim()).filter(Boolean);
  if (keys.some((key) => key.length < 32)) throw new ConfigError(name, 'every key must be at least 32 characters');
  return keys;
}

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/** A database URL parsed; an unparsable one is refused without repeating it (it holds the password). */
export function parseDatabaseUrl(databaseUrl: string): URL {
  try {
    return new URL(databaseUrl);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a URL like postgres://user:password@host:5432/db?sslmode=verify-full');
  }
}

/** The URL's sslmode, null when it gives none; only libpq's four modes are accepted. */
export function sslModeOf(url: URL): DatabaseOptions['sslMode'] {
  const raw = url.searchParams.get('sslmode');
  if (raw === null) return null;
  if (!(SSL_MODES as readonly string[]).includes(raw)) throw new ConfigError('DATABASE_URL', `sslmode must be one of ${SSL_MODES.join(', ')}, got "${raw}"`);
  return raw as DatabaseOptions['sslMode'];
}

/** Pool size, statement timeout and TLS for PostgreSQL; TLS verified against a remote host in production. */
function databaseOptions(env: Env, databaseUrl: string, production: boolean): DatabaseOptions {
  // At least 2: the purge holds one connection for its lock while it deletes through another.
  const poolMax = integer(env, 'DATABASE_POOL_MAX', 10, 2, 500);
  const statementTimeoutMs = integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000);
  const caFile = env.DATABASE_SSL_CA_FILE || null;
  let sslCa: string | null = null;
  if (caFile) {
    try {
      sslCa = readFileSync(caFile, 'utf8');
    } catch {
      throw new ConfigError('DATABASE_SSL_CA_FILE', `cannot read ${caFile}`);
    }
    if (!sslCa.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('DATABASE_SSL_CA_FILE', `${caFile} holds no PEM certificate`);
  }
  if (databaseUrl.startsWith('sqlite:')) return { poolMax, statementTimeoutMs, sslMode: null, sslCa };
  const url = parseDatabaseUrl(databaseUrl);
  for (const name of ['ssl', 'sslrootcert', 'sslcert', 'sslkey']) {
    if (url.searchParams.has(name)) throw new ConfigError('DATABASE_URL', `the parameter ${name} is not supported: use sslmode=… and DATABASE_SSL_CA_FILE`);
  }
  // A CA file means the server is to be verified.
  const sslMode = sslModeOf(url) ?? (sslCa ? 'verify-full' : null);
  // Tokens and password hashes cross this connection: to another host in production, TLS unless the
  // operator explicitly says otherwise (sslmode=disable for a private network).
  if (production && !isLoopback(url.hostname) && sslMode === null) {
    throw new ConfigError('DATABASE_URL', 'a database on another host needs ?sslmode=verify-full in production (DATABASE_SSL_CA_FILE for a private CA), or sslmode=disable said explicitly');
  }
  return { poolMax, statementTimeoutMs, sslMode, sslCa };
}

/**
 * bcrypt runs on libuv's thread pool (UV_THREADPOOL_SIZE, default 4), which SQLite, file access and DNS
 * share: hashes get the cores but never all the threads.
 */
function hashPoolSize(env: Env): number {
  const threads = integer(env, 'UV_THREADPOOL_SIZE', 4, 1, 1024);
  const asked = integer(env, 'HASH_POOL_SIZE', 0, 0, 256);
  if (asked > threads - 2) throw new ConfigError('HASH_POOL_SIZE', `${asked} needs UV_THREADPOOL_SIZE of at least ${asked + 2} (it is ${threads}); two threads stay for the database and DNS`);
  return asked || Math.max(1, Math.min(availableParallelism(), threads - 2));
}

function redisUrl(env: Env): string | null {
  const raw = env.REDIS_URL;
  if (!raw) return null;
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  return raw;
}

/**
 * Development mode (NODE_ENV unset) seeds a demo member with a published password, generates its own
 * secrets and shows every message on /dev/outbox; none of that may meet real members. An https issuer
 * or a PostgreSQL database means a real deployment, so development mode refuses it unless DEMO=true
 * says explicitly that this database is a throwaway demo. Checked before anything is written.
 */
function refuseRealDataInDevelopment(env: Env, mode: Mode, issuer: string, databaseUrl: string): void {
  if (mode !== 'development' || env.DEMO === 'true') return;
  const real = issuer.startsWith('https:') ? `ISSUER is ${issuer}` : databaseUrl.startsWith('postgres') ? 'DATABASE_URL is a PostgreSQL database' : undefined;
  if (real) {
    throw new ConfigError('NODE_ENV', `development mode (NODE_ENV unset or development) never runs on real data, but ${real}. Set NODE_ENV=production, or DEMO=true if this is a throwaway demo database`);
  }
}

export function loadSettings(env: Env = process.env): Settings {
  const mode = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const production = mode === 'production';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const dataDir = resolve(env.DATA_DIR || './data');
  const issuer = parseIssuer(env.ISSUER || `http://localhost:${port}`, mode);
  if (production && !env.ISSUER) throw new ConfigError('ISSUER', 'is required in production');

  const databaseUrl = env.DATABASE_URL || `sqlite:${join(dataDir, 'hk-idp.sqlite')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with sqlite: or postgres://');
  }
  refuseRealDataInDevelopment(env, mode, issuer, databaseUrl);

  let cookieKeys = secretList(env, 'COOKIE_KEYS');
  let passwordPepper = secret(env, 'PASSWORD_PEPPER');
  let keyEncryptionKey = secret(env, 'KEY_ENCRYPTION_KEY');
  if (production) {
    if (!cookieKeys) throw new ConfigError('COOKIE_KEYS', 'is required in production (comma-separated, newest first)');
    if (!passwordPepper) throw new ConfigError('PASSWORD_PEPPER', 'is required in production');
    if (!keyEncryptionKey) throw new ConfigError('KEY_ENCRYPTION_KEY', 'is required in production');
  } else if (!cookieKeys || !passwordPepper || !keyEncryptionKey) {
    const generated = devSecrets(dataDir);
    cookieKeys ??= generated.cookieKeys;
    passwordPepper ??= generated.passwordPepper;
    keyEncryptionKey ??= generated.keyEncryptionKey;
  }

  const trustProxyHops = integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10);
  if (issuer.startsWith('https:') && trustProxyHops === 0) {
    // hk-idp speaks plain HTTP; an https issuer means a TLS proxy in front, which must be trusted for the scheme.
    throw new ConfigError('TRUST_PROXY_HOPS', 'an https ISSUER needs the TLS-terminating proxy in front counted (at least 1)');
  }
  const demo = !production && env.DEMO !== 'false';
  // The dev outbox stands in for a channel that has no real connector: by default in development,
  // in production only when DEV_OUTBOX=true says so explicitly.
  const devOutboxAllowed = env.DEV_OUTBOX === 'true' || (!production && env.DEV_OUTBOX !== 'false');
  const delivery = deliverySettings(env, production, devOutboxAllowed);
  const devOutbox = devOutboxAllowed && (!delivery.smtp || !delivery.vonage);

  return {
    mode,
    issuer,
    port,
    databaseUrl,
    database: databaseOptions(env, databaseUrl, production),
    hashPoolSize: hashPoolSize(env),
    hashQueueMax: integer(env, 'HASH_QUEUE_MAX', 64, 0, 100_000),
    dataDir,
    cookieKeys: cookieKeys!,
    passwordPepper: passwordPepper!,
    keyEncryptionKey: keyEncryptionKey!,
    bcryptCost: integer(env, 'BCRYPT_COST', 11, production ? 10 : 4, 15),
    trustProxyHops,
    demo,
    devOutbox,
    contactEmail: email(env, 'CONTACT_EMAIL', 'post@hk.no')!,
    contactPhone: contactPhone(env),
    brand: {
      name: brandName(env),
      logoUrl: httpsUrl(env, 'BRAND_LOGO_URL', '/static/logo.svg', { localPath: true }),
      color: brandColor(env, 'BRAND_COLOR', '#b3001b'),
      colorDark: brandColor(env, 'BRAND_COLOR_DARK', '#8a0015'),
      homeUrl: httpsUrl(env, 'BRAND_HOME_URL', 'https://www.hk.no/'),
    },
    ballotEmail: email(env, 'BALLOT_EMAIL', null),
    resendWait: integer(env, 'RESEND_WAIT', 60, 0, 3600),
    signInFreeFailures: integer(env, 'SIGNIN_FREE_FAILURES', 5, 1, 100),
    signInMaxDelay: integer(env, 'SIGNIN_MAX_DELAY', 15 * 60, 1, 24 * 3600),
    signInIpFailuresPerHour: integer(env, 'SIGNIN_IP_FAILURES_PER_HOUR', 100, 1, 1_000_000),
    redisUrl: redisUrl(env),
    redisPrefix: env.REDIS_PREFIX || 'hk-idp:',
    metricsToken: secret(env, 'METRICS_TOKEN') ?? null,
    sendLimits: {
      perRecipientQuarter: integer(env, 'SEND_LIMIT_RECIPIENT_15MIN', 3, 1, 1000),
      perRecipientDay: integer(env, 'SEND_LIMIT_RECIPIENT_DAY', 10, 1, 10_000),
      perIpHour: integer(env, 'SEND_LIMIT_IP_HOUR', 20, 1, 1_000_000),
      smsPerHour: integer(env, 'SMS_BUDGET_HOUR', 2000, 1, 10_000_000),
      smsPerDay: integer(env, 'SMS_BUDGET_DAY', 20_000, 1, 100_000_000),
    },
    sessionIdleTimeout: integer(env, 'SESSION_IDLE_TIMEOUT', 2 * 3600, 60, 30 * 24 * 3600),
    sessionMaxAge: integer(env, 'SESSION_MAX_AGE', 12 * 3600, 60, 30 * 24 * 3600),
    firstTimePasswordTtl: integer(env, 'FIRST_TIME_PASSWORD_TTL', 24 * 3600, 300, 7 * 24 * 3600),
    wipeCredentials: oneOf(env, 'WIPE_CREDENTIALS', ['on-order', 'on-use'] as const, 'on-order'),
    passwordMinLength: integer(env, 'PASSWORD_MIN_LENGTH', 12, 8, 64),
    credentialChecks: {
      perFlowHour: integer(env, 'CREDENTIALS_LIMIT_FLOW_HOUR', 20, 1, 1000),
      perIpHour: integer(env, 'CREDENTIALS_LIMIT_IP_HOUR', 300, 1, 1_000_000),
    },
    oneTimeCodeTtl: integer(env, 'ONE_TIME_CODE_TTL', 600, 60, 3600),
    invitationTtl: integer(env, 'INVITATION_TTL', 7 * 24 * 3600, 3600, 30 * 24 * 3600),
    businessPortalUrl: env.BUSINESS_PORTAL_URL || 'https://bedrift.hk.no',
    consoleSmsPerCaseworkerDay: integer(env, 'CONSOLE_SMS_PER_CASEWORKER_DAY', 30, 1, 10_000),
    delivery,
    backchannelAllowLoopback: oneOf(env, 'BACKCHANNEL_ALLOW_LOOPBACK', ['true', 'false'] as const, production ? 'false' : 'true') === 'true',
    operations: {
      logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
      shutdownGrace: integer(env, 'SHUTDOWN_GRACE', production ? 5 : 0, 0, 300),
      shutdownTimeout: integer(env, 'SHUTDOWN_TIMEOUT', 25, 1, 600),
      auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 400, 1, 10 * 365),
      migrateOnStart: oneOf(env, 'MIGRATE_ON_START', ['true', 'false'] as const, 'true') === 'true',
    },
  };
}

function hostUrl(env: Env, name: string, production: boolean): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be http(s)');
  if (url.pathname !== '/' || url.search || url.hash) throw new ConfigError(name, 'must be a scheme and host only, no path');
  if (production && url.protocol === 'http:' && !isLoopback(url.hostname)) throw new ConfigError(name, 'must use https in production');
  return url.origin;
}

function deliverySettings(env: Env, production: boolean, devOutboxAllowed: boolean): DeliverySettings {
  const fallback = production ? 'set DEV_OUTBOX=true to print messages to the console instead' : 'or leave DEV_OUTBOX unset to use the development outbox';

  let smtp: SmtpSettings | undefined;
  if (env.SMTP_URL) {
    let url: URL;
    try {
      url = new URL(env.SMTP_URL);
    } catch {
      // The URL holds the SMTP password: never repeat it in a message.
      throw new ConfigError('SMTP_URL', 'must be a URL like smtps://user:password@host:465');
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps://');
    const from = env.MAIL_FROM ?? '';
    if (!from) throw new ConfigError('MAIL_FROM', 'is required with SMTP_URL, e.g. "Handel og Kontor" <noreply@hk.no>');
    if (!/^[^\r\n@]+@[^\r\n@]+$/.test(from)) throw new ConfigError('MAIL_FROM', `must be one e-mail address, optionally with a name, got "${from}"`);
    smtp = { url: env.SMTP_URL, from, requireTls: production && url.protocol === 'smtp:' && !isLoopback(url.hostname) };
  } else if (!devOutboxAllowed) {
    throw new ConfigError('SMTP_URL', `is required to send e-mail (with MAIL_FROM); ${fallback}`);
  }

  let vonage: VonageSettings | undefined;
  if (env.VONAGE_API_KEY || env.VONAGE_API_SECRET) {
    if (!env.VONAGE_API_KEY) throw new ConfigError('VONAGE_API_KEY', 'is required with VONAGE_API_SECRET');
    if (!env.VONAGE_API_SECRET) throw new ConfigError('VONAGE_API_SECRET', 'is required with VONAGE_API_KEY');
    const sender = env.SMS_SENDER || 'HK';
    if (!/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$|^\+?\d{1,15}$/.test(sender)) {
      throw new ConfigError('SMS_SENDER', `must be at most 11 letters and digits, or a phone number, got "${sender}"`);
    }
    vonage = {
      apiKey: env.VONAGE_API_KEY,
      apiSecret: env.VONAGE_API_SECRET,
      sender,
      restHost: hostUrl(env, 'VONAGE_REST_HOST', production),
      apiHost: hostUrl(env, 'VONAGE_API_HOST', production),
    };
  } else if (!devOutboxAllowed) {
    throw new ConfigError('VONAGE_API_KEY', `is required to send SMS (with VONAGE_API_SECRET and SMS_SENDER); ${fallback}`);
  }

  const codes = (env.SMS_ALLOWED_COUNTRY_CODES || '47').split(',').map((code) => code.trim().replace(/^\+/, ''));
  for (const code of codes) {
    if (!/^[1-9]\d{0,2}$/.test(code)) throw new ConfigError('SMS_ALLOWED_COUNTRY_CODES', `must be country calling codes like 47,46, got "${code}"`);
  }
  return { smtp, vonage, smsAllowedCountryCodes: codes };
}
