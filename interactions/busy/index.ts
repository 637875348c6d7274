// "Many are signing in right now": when password hashing is at capacity a sign-in is answered at once
// with 503 and Retry-After instead of waiting in a growing queue. The attempt is refused before it is
// counted against the account, so a member is never throttled for being turned away.
import type { Context, Next } from 'koa';
import type { Settings } from '../../config/settings.ts';
import { HashPoolBusy, type HashPool } from '../../src/accounts/hash-pool.ts';
import { html } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import { homeLink, page, sendPage } from '../layout.ts';
import { switchUrlFor } from '../errors/index.ts';

/** The form posts that check a password (and so need a hash slot). */
const SIGN_IN = /^\/interaction\/[^/]+\/(login|business\/login)$/;

export function sendBusyPage(ctx: Context, settings: Settings, retryAfterSeconds: number): void {
  const lang = pickLanguage(ctx);
  // Back to the sign-in form of the same interaction, where there is one.
  const step = /^\/interaction\/[^/]+/.exec(ctx.path)?.[0];
  ctx.set('Retry-After', String(retryAfterSeconds));
  sendPage(
    ctx,
    503,
    page({
      lang,
      title: t(lang, 'busy.title'),
      brand: settings.brand,
      contactEmail: settings.contactEmail,
      switchUrl: switchUrlFor(ctx, lang),
      body: html`<h1>${t(lang, 'busy.heading')}</h1><p>${t(lang, 'busy.body')}</p>
<div class="actions">${step ? html`<a class="button" href="${step}">${t(lang, 'busy.retry')}</a>` : homeLink(lang, settings.brand)}</div>`,
    }),
  );
}

/**
 * Admits a sign-in only while the hash pool has room for it, else answers the busy page at once; and
 * answers any hash refused further down (another flow's) the same way.
 */
export function shedWhenBusy(settings: Settings, pool: Pick<HashPool, 'admit' | 'retryAfterSeconds'>) {
  return async (ctx: Context, next: Next) => {
    const release = ctx.method === 'POST' && SIGN_IN.test(ctx.path) ? pool.admit() : () => {};
    if (!release) return sendBusyPage(ctx, settings, pool.retryAfterSeconds());
    try {
      await next();
    } catch (error) {
      if (error instanceof HashPoolBusy) return sendBusyPage(ctx, settings, error.retryAfterSeconds);
      throw error;
    } finally {
      release();
    }
  };
}
