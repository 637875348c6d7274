// Every named error of hk-idp, in one file (as oidc-provider's lib/helpers/errors.js). Each carries a
// code and the HTTP status it is answered with. The code is also its text key: the page a person sees
// says `error.<code>.title/heading/body` from interactions/texts, in their language; one handler
// (interactions/errors/index.ts) turns a thrown error into that page. The message is for logs and
// operators (the CLI prints an InputError's), never shown on a page.
import type { FailureKind } from './delivery/delivery.ts';

// Settings are read before anything else exists and config/ imports nothing from src/, so ConfigError
// is defined there; it is listed here so that every named error is found in this file.
export { ConfigError } from '../config/settings.ts';

/**
 * The code of every error page that is not the generic one (an unexpected error, 500). Each has its
 * texts in both languages; the error page handler's types fail to check if one is missing.
 * not_found and expired have no class here: a route that answered nothing, and the provider's
 * SessionNotFound.
 */
export type ErrorCode = 'bad_request' | 'csrf' | 'busy' | 'delivery_failed' | 'not_found' | 'expired';

/** The base of hk-idp's own errors: what the person is told (code) and the HTTP status of that answer. */
export class IdpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, status: number, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Bad input from an operator or a form: a clear message, nothing changed. A page answers it with 400. */
export class InputError extends IdpError {
  constructor(message: string) {
    super('bad_request', 400, message);
  }
}

/** A username the rules refuse; `reason` picks the text the form shows next to the field. */
export class UsernameError extends InputError {
  readonly reason: 'length' | 'digits' | 'characters' | 'taken';
  constructor(reason: UsernameError['reason']) {
    super(`username: ${reason}`);
    this.reason = reason;
  }
}

/** A form post our pages cannot read at all (not urlencoded, invalid UTF-8, control characters): 400 or 415. */
export class BadRequest extends IdpError {
  constructor(message: string, status = 400) {
    super('bad_request', status, message);
  }
}

/** A form without its token, or with another interaction's: 403, nothing done. */
export class CsrfError extends IdpError {
  constructor(message: string) {
    super('csrf', 403, message);
  }
}

/** Password hashing is at capacity: the sign-in is answered "try again in a moment" (503) instead of queueing. */
export class HashPoolBusy extends IdpError {
  /** Seconds after which a retry is likely to get a slot (for Retry-After). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('busy', 503, 'password hashing is at capacity');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * An SMS or e-mail could not be sent; `failure` says whether trying again may help (see FailureKind).
 * The outbox catches these; the status (502: the gateway said no) is only for one that reaches a page.
 */
export class DeliveryError extends IdpError {
  readonly failure: FailureKind;
  /** What went wrong, for the audit log and the operator: never the message text or a secret. */
  constructor(reason: string, failure: FailureKind) {
    super('delivery_failed', 502, reason);
    this.failure = failure;
  }
}
