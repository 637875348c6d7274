// Error pages: one handler turns what went wrong into a page in the person's language. Internals
// (stack traces, SQL, error descriptions that may echo input) never reach the page.
import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type { Settings } from '../../config/settings.ts';
import type { Language } from '../../config/vocabulary.ts';
import { invitationPath } from '../../src/accounts/business-users.ts';
import { html, type Html } from '../html.ts';
import { pickLanguage, t, type TextKey } from '../i18n.ts';
import { homeLink, page, sendPage, type PageClient } from '../layout.ts';
import { HashPoolBusy, IdpError, type ErrorCode } from '../../src/errors.ts';
import { requestIdOf } from '../../src/observability/access-log.ts';

/**
 * The texts of an error page: `error.<code>.…` for a code of src/errors.ts, the plain `error.…` for
 * the generic page (null: anything unexpected). Typed against the catalogue: a code without its texts
 * fails the type check (and en.ts is typed against nb.ts, so both languages have them).
 */
export function errorTexts(code: ErrorCode | null): { title: TextKey; heading: TextKey; body: TextKey } {
  if (code === null) return { title: 'error.title', heading: 'error.heading', body: 'error.body' };
  return { title: `error.${code}.title`, heading: `error.${code}.heading`, body: `error.${code}.body` };
}

/**
 * The language switch of a page shown in answer to `ctx`: the same address for a GET; for a POST
 * (a form that failed) the GET page of the same step, where there is one.
 */
export function switchUrlFor(ctx: Context, lang: Language): string | null {
  const other = lang === 'nb' ? 'en' : 'nb';
  let target: URL;
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    target = new URL(ctx.originalUrl, 'http://localhost');
  } else {
    const step = /^\/interaction\/[^/]+/.exec(ctx.path)?.[0] ?? (ctx.path.startsWith(invitationPath) ? ctx.path : undefined);
    if (!step) return null;
    target = new URL(step, 'http://localhost');
  }
  target.searchParams.set('lang', other);
  return target.pathname + target.search;
}

/**
 * The page of `code` (null: the generic one); `providerCode` is an OIDC error code to show; `action`
 * replaces the link home as the way on.
 */
export function sendErrorPage(ctx: Context, settings: Settings, code: ErrorCode | null, status: number, providerCode?: string, client?: PageClient | null, action?: Html): void {
  const lang = pickLanguage(ctx);
  const { title, heading, body } = errorTexts(code);
  // The request's id, for a member to read to a caseworker who finds it in the logs.
  const reference = requestIdOf(ctx);
  sendPage(
    ctx,
    status,
    page({
      lang,
      title: t(lang, title),
      brand: settings.brand,
      contactEmail: settings.contactEmail,
      contactPhone: settings.contactPhone,
      switchUrl: switchUrlFor(ctx, lang),
      client,
      body: html`<h1>${t(lang, heading)}</h1><p>${t(lang, body)}</p>${providerCode ? html`<p class="hint">${t(lang, 'error.code', { code: providerCode })}</p>` : ''}${reference ? html`<p class="hint">${t(lang, 'error.reference', { reference })}</p>` : ''}
<div class="actions">${action ?? homeLink(lang, settings.brand)}</div>`,
    }),
  );
}

/**
 * "Many are signing in right now" (503 with Retry-After): password hashing is at capacity. Its way on
 * is the sign-in form of the same interaction, where there is one. (No look-up of the sign-in's app:
 * this page is the cheap answer under load.)
 */
function sendBusyPage(ctx: Context, settings: Settings, retryAfterSeconds: number): void {
  const step = /^\/interaction\/[^/]+/.exec(ctx.path)?.[0];
  ctx.set('Retry-After', String(retryAfterSeconds));
  const lang = pickLanguage(ctx);
  sendErrorPage(ctx, settings, 'busy', 503, undefined, null, step ? html`<a class="button" href="${step}">${t(lang, 'error.busy.retry')}</a>` : undefined);
}

/**
 * The one error handler of every request: hk-idp's own errors (src/errors.ts) become the page of their
 * code with their status (so an InputError from the core is a 400, never a 500), the provider's and
 * koa's known failures their page, anything else the generic 500 (logged).
 * `signInOf` finds the sign-in the failed request belongs to (if it is still there), so its error
 * page can offer "Avbryt og gå tilbake til {app}"; a failure to find it only leaves that out.
 */
export function handleErrors(settings: Settings, log: (message: string, error: unknown) => void, signInOf: (ctx: Context) => Promise<PageClient | null> = async () => null) {
  const findSignIn = (ctx: Context) => signInOf(ctx).catch(() => null);
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) sendErrorPage(ctx, settings, 'not_found', 404, undefined, await findSignIn(ctx));
    } catch (error) {
      if (error instanceof oidcErrors.SessionNotFound) return sendErrorPage(ctx, settings, 'expired', 400);
      if (error instanceof HashPoolBusy) return sendBusyPage(ctx, settings, error.retryAfterSeconds);
      if (error instanceof IdpError) {
        // A client's mistake needs no log line; a failure of ours (5xx) does, as any unexpected error.
        if (error.status >= 500) log('request failed', error);
        return sendErrorPage(ctx, settings, error.code, error.status, undefined, await findSignIn(ctx));
      }
      const status = (error as { status?: number }).status;
      // Body parser and koa errors: malformed or oversized bodies, wrong content types.
      if (status && status >= 400 && status < 500 && (error as { expose?: boolean }).expose) {
        return sendErrorPage(ctx, settings, 'bad_request', status, undefined, await findSignIn(ctx));
      }
      log('request failed', error);
      sendErrorPage(ctx, settings, null, 500, undefined, await findSignIn(ctx));
    }
  };
}

/** oidc-provider's renderError: protocol errors shown in a browser. Only the error code is shown. */
export function renderProviderError(settings: Settings) {
  return async (ctx: Context, out: { error: string }) => {
    const code = /^[a-z_]{1,64}$/.test(out.error) ? out.error : 'server_error';
    sendErrorPage(ctx, settings, null, ctx.status >= 400 ? ctx.status : 400, code);
  };
}
