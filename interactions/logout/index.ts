// Logout pages for oidc-provider's RP-initiated logout: a confirmation (so no other site can sign a
// person out with a bare link) and a "you are signed out" page. A first-party app that proves whose
// session it ends (a valid id_token_hint for this very session) is not asked about again: the
// session ends at once and the browser goes back to the app (at once also when it has no session left).
import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { cookieOptions } from '../../config/oidc.ts';
import type { Settings } from '../../config/settings.ts';
import type { Language } from '../../config/vocabulary.ts';
import { endSession } from '../../src/oidc/backchannel.ts';
import type { Db } from '../../src/storage/db.ts';
import { switchUrlFor } from '../errors/index.ts';
import { html, trusted, type Html } from '../html.ts';
import { pickLanguage, t, type TextKey } from '../i18n.ts';
import { homeLink, page, sendPage } from '../layout.ts';

/** The id_token_hint of a first-party app; the provider has validated its signature and audience (this client). */
function firstPartyHint(ctx: KoaContextWithOIDC): { sub?: unknown; sid?: unknown } | undefined {
  const { client, entities } = ctx.oidc;
  const firstParty = (client as unknown as { first_party?: boolean } | undefined)?.first_party;
  return firstParty ? (entities.IdTokenHint?.payload as { sub?: unknown; sid?: unknown } | undefined) : undefined;
}

/** Where the provider's confirmation would send the browser: the app's post-logout URI (with its state), or our page. */
function returnTo(ctx: KoaContextWithOIDC): string {
  const state = ctx.oidc.session?.state as { postLogoutRedirectUri?: string; state?: string } | undefined;
  if (!state?.postLogoutRedirectUri) return ctx.oidc.urlFor('end_session_success');
  const url = new URL(state.postLogoutRedirectUri);
  if (state.state != null) url.searchParams.set('state', state.state);
  return url.href;
}

/**
 * A browser with no session left gets the provider's "confirm" form (our "Du er ikke logget inn" page,
 * see account-switch): there is nothing to end, so a first-party app's logout goes straight back.
 */
export async function returnWhenSignedOut(ctx: Context, next: Next): Promise<void> {
  await next();
  const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
  if (oidc?.route !== 'end_session' || ctx.status !== 200 || oidc.session?.accountId) return;
  if (!firstPartyHint(ctx as KoaContextWithOIDC)) return;
  ctx.status = 303;
  ctx.redirect(returnTo(ctx as KoaContextWithOIDC));
}

/** The session this logout request may end without asking, or undefined when a person must confirm. */
function endsWithoutAsking(ctx: KoaContextWithOIDC): { uid: string } | undefined {
  const { session, client } = ctx.oidc;
  const hint = firstPartyHint(ctx);
  if (!session?.accountId || !client || !hint) return undefined;
  // An old ID token (another account, an earlier session) proves nothing about this one.
  if (hint.sub !== session.accountId) return undefined;
  if (hint.sid !== undefined && hint.sid !== session.sidFor(client.clientId)) return undefined;
  return { uid: session.uid };
}

export function logoutPages(settings: Settings, deps: { db: Db; now: () => number }) {
  const https = settings.issuer.startsWith('https:');

  /** What the provider's confirmation does on "Logg ut", without the question. */
  async function endNow(ctx: KoaContextWithOIDC, uid: string) {
    const { provider } = ctx.oidc;
    const target = returnTo(ctx);
    const context = { clientId: ctx.oidc.client?.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
    await endSession(deps.db, uid, { reason: 'logout', keepOffline: true, ...context }, deps.now());
    // Already deleted; this tells the provider not to save it again at the end of the request.
    await ctx.oidc.session!.destroy();
    ctx.cookies.set(provider.cookieName('session'), null, cookieOptions(https));
    ctx.status = 303;
    ctx.redirect(target);
  }

  // Both pages answer the provider's own routes; the language switch repeats the same request.
  const show = (ctx: Context, title: TextKey, body: (lang: Language) => Html) => {
    const lang = pickLanguage(ctx);
    sendPage(
      ctx,
      200,
      page({ lang, title: t(lang, title), brand: settings.brand, contactEmail: settings.contactEmail, contactPhone: settings.contactPhone, switchUrl: switchUrlFor(ctx, lang), body: body(lang) }),
    );
  };
  return {
    /** `form` is the provider's own hidden form (with its anti-CSRF xsrf field); our buttons submit it. */
    async logoutSource(ctx: Context, form: string) {
      const known = endsWithoutAsking(ctx as KoaContextWithOIDC);
      if (known) return endNow(ctx as KoaContextWithOIDC, known.uid);
      show(
        ctx,
        'logout.title',
        (lang) => html`<h1>${t(lang, 'logout.heading')}</h1>
<p>${t(lang, 'logout.intro')}</p>
${trusted(form)}
<div class="actions">
  <button type="submit" form="op.logoutForm" name="logout" value="yes">${t(lang, 'logout.confirm')}</button>
  <button type="submit" form="op.logoutForm" class="secondary">${t(lang, 'logout.cancel')}</button>
</div>`,
      );
    },
    async postLogoutSuccessSource(ctx: Context) {
      show(
        ctx,
        'logout.done.title',
        (lang) => html`<h1>${t(lang, 'logout.done.heading')}</h1><p>${t(lang, 'logout.done.body')}</p>
<div class="actions">${homeLink(lang, settings.brand)}</div>`,
      );
    },
  };
}
