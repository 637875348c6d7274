// The staff console at /console: a first-party client of hk-idp itself, signing in with openid-client
// exactly as any app does (the provider's staff sign-in page asks for password and code). It accepts
// only an ID token with amr ["pwd", "otp"], then keeps its own session (30 minutes idle, 8 hours at
// most; src/staff/sessions.ts). Every page needs that session; every form carries its token.
import type Router from '@koa/router';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { CONSOLE_CLIENT_ID, consoleCallbackPath } from '../../src/staff/console-client.ts';
import { endConsoleSession, startConsoleSession, useConsoleSession } from '../../src/staff/sessions.ts';
import { render, signedCookieValue, type FlowDeps } from '../flow.ts';
import { html } from '../html.ts';
import { pickLanguage, t } from '../i18n.ts';
import { registerAuditLog } from './audit/index.ts';
import { registerBusinessAdmin } from './business/index.ts';
import { registerClientAdmin } from './clients/index.ts';
import { byStaff, consoleCookie, consoleCookieOptions, consolePost } from './console.ts';
import { registerEnrolment } from './enrol/index.ts';
import { registerMemberPages } from './members/index.ts';
import { registerStaffAdmin } from './staff/index.ts';

const FLOW_COOKIE = 'hk_console_flow';
/** What the console keeps in the browser between its redirect to sign-in and the callback. */
const ConsoleFlow = z.object({ verifier: z.string(), state: z.string(), nonce: z.string() });

export function registerConsole(router: Router, deps: FlowDeps): void {
  const { issuer } = deps.settings;
  let config: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    if (!config) {
      const options = issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {};
      config = oidc.discovery(new URL(issuer), CONSOLE_CLIENT_ID, undefined, oidc.None(), options);
      config.catch(() => (config = undefined));
    }
    return config;
  };
  const flowCookie = { httpOnly: true, sameSite: 'lax' as const, signed: true, path: '/console', secure: issuer.startsWith('https:'), overwrite: true };

  router.get('/console', async (ctx) => {
    // Signed in already: straight to work.
    if (await useConsoleSession(deps.db, ctx.cookies.get(consoleCookie(deps), { signed: false }), deps.now())) return ctx.redirect('/console/members');
    const lang = pickLanguage(ctx);
    render(ctx, deps, {
      lang,
      title: t(lang, 'console.title'),
      body: html`<h1>${t(lang, 'console.title')}</h1><p>${t(lang, 'console.start.body')}</p>
<div class="actions"><a class="button" href="/console/login">${t(lang, 'console.start.submit')}</a></div>`,
    });
  });

  // Always a fresh sign-in (prompt=login): a provider session alone never opens the console.
  router.get('/console/login', async (ctx) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(await configuration(), {
      redirect_uri: `${issuer}${consoleCallbackPath}`,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      prompt: 'login',
      ui_locales: pickLanguage(ctx),
    });
    ctx.cookies.set(FLOW_COOKIE, JSON.stringify({ verifier, state, nonce }), flowCookie);
    ctx.redirect(url.href);
  });

  router.get(consoleCallbackPath, async (ctx) => {
    const lang = pickLanguage(ctx);
    const flow = signedCookieValue(ctx, FLOW_COOKIE, ConsoleFlow);
    ctx.cookies.set(FLOW_COOKIE, null, flowCookie);
    if (!flow) return ctx.redirect('/console');
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(await configuration(), new URL(ctx.originalUrl, issuer), { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
      claims = tokens.claims()!;
    } catch {
      // A denied or failed sign-in (an error in the callback, a used code): nothing to hold on to.
    }
    // No claims, not both factors, or a staff member who may not sign in: refused (the core audits why).
    const cookie = await startConsoleSession(deps.db, claims, { ip: ctx.ip, userAgent: ctx.get('user-agent') }, deps.now());
    if (!cookie) {
      return render(ctx, deps, {
        lang,
        title: t(lang, 'console.refused.title'),
        status: 403,
        path: null,
        body: html`<h1>${t(lang, 'console.refused.title')}</h1><p>${t(lang, 'console.refused.body')}</p>
<div class="actions"><a class="button" href="/console/login">${t(lang, 'console.refused.retry')}</a></div>`,
      });
    }
    ctx.cookies.set(consoleCookie(deps), cookie, consoleCookieOptions(deps));
    ctx.redirect('/console/members');
  });

  router.post('/console/logout', async (ctx) => {
    const session = await consolePost(ctx, deps);
    if (!session) return;
    await endConsoleSession(deps.db, ctx.cookies.get(consoleCookie(deps), { signed: false }), session.staff.id, byStaff(ctx, session), deps.now());
    ctx.cookies.set(consoleCookie(deps), null, consoleCookieOptions(deps));
    const { lang } = session;
    render(ctx, deps, {
      lang,
      title: t(lang, 'console.signed_out.title'),
      path: null,
      body: html`<h1>${t(lang, 'console.signed_out.title')}</h1><p>${t(lang, 'console.signed_out.body')}</p>
<div class="actions"><a class="button" href="/console/login">${t(lang, 'console.start.submit')}</a></div>`,
    });
  });

  registerEnrolment(router, deps);
  registerMemberPages(router, deps);
  registerClientAdmin(router, deps);
  registerBusinessAdmin(router, deps);
  registerStaffAdmin(router, deps);
  registerAuditLog(router, deps);
}
