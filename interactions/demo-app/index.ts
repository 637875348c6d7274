// Development only: a tiny relying app on the same server, to click a real sign-in through and see
// the claims. It uses openid-client exactly as a real app would.
import type Router from '@koa/router';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { html } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import { render, signedCookieValue, type FlowDeps } from '../flow.ts';

export const DEMO_CLIENTS = { member: 'hk-demo', business: 'hk-demo-business', 'third-party': 'hk-demo-third-party' } as const;
const FLOW_COOKIE = 'demo_flow';
/** What the demo app keeps in the browser between its redirect to sign-in and the callback. */
const DemoFlow = z.object({ clientId: z.string(), verifier: z.string(), state: z.string() });

export function registerDemoApp(router: Router, deps: FlowDeps): void {
  const { issuer } = deps.settings;
  const configs = new Map<string, Promise<oidc.Configuration>>();
  const configFor = (clientId: string) => {
    if (!configs.has(clientId)) {
      const pending = oidc.discovery(new URL(issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      pending.catch(() => configs.delete(clientId));
      configs.set(clientId, pending);
    }
    return configs.get(clientId)!;
  };

  router.get('/demo', (ctx) => {
    const lang = pickLanguage(ctx);
    render(ctx, deps, {
      lang,
      title: t(lang, 'demo.title'),
      body: html`<h1>${t(lang, 'demo.heading')}</h1><p>${t(lang, 'demo.intro')}</p>
<div class="actions"><a class="button" href="/demo/login?kind=member">${t(lang, 'demo.start')}</a> <a class="button" href="/demo/login?kind=business">${t(lang, 'demo.start_business')}</a> <a class="button secondary" href="/demo/login?kind=third-party">${t(lang, 'demo.start_third_party')}</a></div>`,
    });
  });

  router.get('/demo/login', async (ctx) => {
    const kind = ctx.query.kind === 'business' || ctx.query.kind === 'third-party' ? ctx.query.kind : 'member';
    const clientId = DEMO_CLIENTS[kind];
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(await configFor(clientId), {
      redirect_uri: `${issuer}/demo/callback`,
      scope: kind === 'business' ? 'openid profile email phone business' : 'openid profile email phone member',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ui_locales: pickLanguage(ctx),
    });
    ctx.cookies.set(FLOW_COOKIE, JSON.stringify({ clientId, verifier, state }), { httpOnly: true, sameSite: 'lax', signed: true });
    ctx.redirect(url.href);
  });

  router.get('/demo/callback', async (ctx) => {
    const lang = pickLanguage(ctx);
    const flow = signedCookieValue(ctx, FLOW_COOKIE, DemoFlow);
    if (!flow) return ctx.redirect('/demo');
    // The person cancelled (or the provider refused): the app shows what it received, as an app should.
    const error = typeof ctx.query.error === 'string' && /^[a-z_]{1,64}$/.test(ctx.query.error) ? ctx.query.error : undefined;
    if (error) {
      ctx.cookies.set(FLOW_COOKIE, null);
      return render(ctx, deps, {
        lang,
        title: t(lang, 'demo.title'),
        path: null,
        body: html`<h1>${t(lang, 'demo.heading')}</h1>
<div class="status" role="status"><p>${t(lang, 'demo.cancelled', { error })}</p></div>
<div class="actions"><a class="button" href="/demo">${t(lang, 'demo.title')}</a></div>`,
      });
    }
    const config = await configFor(flow.clientId);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, issuer), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    ctx.cookies.set(FLOW_COOKIE, null);
    const claims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${issuer}/demo` });
    const list = (object: Record<string, unknown>) =>
      html`<dl class="claims">${Object.entries(object).map(([k, v]) => html`<dt>${k}</dt><dd>${JSON.stringify(v)}</dd>`)}</dl>`;
    render(ctx, deps, {
      lang,
      title: t(lang, 'demo.title'),
      path: null,
      body: html`<h1>${t(lang, 'demo.heading')}</h1>
<h2>${t(lang, 'demo.claims')}</h2>${list(claims)}
<h2>${t(lang, 'demo.userinfo')}</h2>${list(userinfo)}
<div class="actions"><a class="button" href="${logout.href}">${t(lang, 'demo.logout')}</a></div>`,
    });
  });
}
