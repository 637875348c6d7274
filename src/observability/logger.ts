// The one logger: pino, JSON lines in production (for the log shipper), readable lines in
// development. Every line written while a request is handled carries that request's id, and every
// field that can hold a secret is redacted by name wherever it appears.
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Mode, OperationsSettings } from '../../config/settings.ts';

export type { Logger };

/** The request a piece of code runs for (set by the access log middleware). */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

/**
 * Field names that hold (or may hold) a secret: passwords, codes, tokens, keys, cookies, the
 * outbox's message parameters. Censored at the top level and one and two levels down.
 */
export const SECRET_FIELDS = [
  'password',
  'newPassword',
  'new_password',
  'password_hash',
  'passwordHash',
  'firstTimePassword',
  'first_time_password',
  'code',
  'code_verifier',
  'codeVerifier',
  'otp',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'secret',
  'authorization',
  'cookie',
  'set-cookie',
  'params',
  'pepper',
  'passwordPepper',
  'keyEncryptionKey',
  'cookieKeys',
  'apiSecret',
  'databaseUrl',
  'url',
];

const quoted = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`);
const join = (prefix: string, name: string) => (quoted(name).startsWith('[') ? `${prefix}${quoted(name)}` : `${prefix}.${name}`);

export const REDACT_PATHS = SECRET_FIELDS.flatMap((name) => [quoted(name), join('*', name), join('*.*', name)]);

export function createLogger(options: { mode: Mode; level: OperationsSettings['logLevel']; destination?: DestinationStream }): Logger {
  const config = {
    level: options.level,
    base: { service: 'hk-idp' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: () => {
      const requestId = requestContext.getStore()?.requestId;
      return requestId ? { requestId } : {};
    },
  };
  if (options.destination) return pino(config, options.destination);
  if (options.mode === 'development') return pino(config, pretty({ colorize: process.stdout.isTTY, sync: true, ignore: 'service' }));
  return pino(config, pino.destination({ dest: 1, sync: true }));
}

/** For tests and tools that want no output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/** The `(message, error?)` shape the core's modules take, writing to `logger`. */
export function logFunction(logger: Logger): (message: string, error?: unknown) => void {
  return (message, error) => (error === undefined ? logger.warn(message) : logger.error({ err: error }, message));
}
