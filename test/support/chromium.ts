// Debian's Chromium driven by playwright-core (never a downloaded browser), with axe-core for
// accessibility scans and screenshots under test-results/ for a person to look at.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as oidc from 'openid-client';
import { t, type TextKey } from '../../interactions/i18n.ts';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { TestIdp } from './idp.ts';
import { registerRp, type Rp } from './rp.ts';
import type { ClientInput } from '../../src/clients/clients.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 360, height: 740 },
} as const;

export type Device = keyof typeof viewports;
export type Lang = 'nb' | 'en';

/** WCAG 2.1 A/AA violations on the page (axe-core, injected past the page's CSP by the driver). */
export async function axeViolations(page: Page): Promise<{ id: string; help: string; nodes: string[] }[]> {
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })",
  )) as { violations: { id: string; help: string; nodes: { target: string[] }[] }[] };
  return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Saves a full-page screenshot as test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}

/** True when the page scrolls sideways (it must not, down to 320 px). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth + 1')) as boolean;
}

const AUTOCOMPLETE = new Set(['username', 'current-password', 'new-password', 'one-time-code', 'email', 'tel']);

/**
 * Everything checked on every page (in a window with script: axe runs in the page) a person sees: a title naming the step and the organisation,
 * one h1, the language switch (unless the page has none on purpose), a known autocomplete on
 * every field; no axe violations and a screenshot at desktop and phone size; no sideways scrolling
 * at 320 px and at 200 % zoom (a 1280 px window zoomed to 200 % is 640 CSS px wide).
 */
export async function checkPage(page: Page, name: string, options: { languageSwitch?: boolean } = {}): Promise<void> {
  const original = page.viewportSize();
  const title = await page.title();
  assert.match(title, /^\S.* – Handel og Kontor$/, `${name}: title "${title}"`);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  assert.equal(await page.locator('a.lang').count(), options.languageSwitch === false ? 0 : 1, `${name}: language switch`);
  const fields = (await page.evaluate(
    `[...document.querySelectorAll('input:not([type=hidden]):not([type=radio])')].map((i) => [i.id, i.type, i.getAttribute('autocomplete')])`,
  )) as [string, string, string | null][];
  for (const [id, type, autocomplete] of fields) {
    assert.ok(autocomplete && AUTOCOMPLETE.has(autocomplete), `${name}: #${id} autocomplete "${autocomplete}"`);
    if (type === 'password') assert.match(autocomplete, /^(current|new)-password$/, `${name}: #${id}`);
  }
  for (const [device, viewport] of Object.entries(viewports)) {
    await page.setViewportSize(viewport);
    assert.deepEqual(await axeViolations(page), [], `${name} on ${device}: axe`);
    await screenshot(page, `${name}-${device}`);
  }
  for (const width of [320, 640]) {
    await page.setViewportSize({ width, height: 740 });
    assert.equal(await overflowsHorizontally(page), false, `${name}: scrolls sideways at ${width} px`);
  }
  if (original) await page.setViewportSize(original);
}

/** A fresh browser window with the person's language and device; `javaScript: false` for the no-script path. */
export async function openWindow(browser: Browser, options: { lang: Lang; device: Device; javaScript?: boolean } & BrowserContextOptions): Promise<{ context: BrowserContext; page: Page }> {
  const { lang, device, javaScript = true, ...rest } = options;
  const context = await browser.newContext({
    viewport: viewports[device],
    locale: lang === 'nb' ? 'nb-NO' : 'en-GB',
    javaScriptEnabled: javaScript,
    ...rest,
  });
  // A step that does not happen fails within seconds, naming what it waited for.
  context.setDefaultTimeout(10_000);
  return { context, page: await context.newPage() };
}

/** A test app whose redirect URI is on the provider's own origin (no name to resolve; the page there is a 404 we never read). */
export type BrowserApp = Rp & { callback: string };

export async function registerBrowserApp(idp: TestIdp, input: Partial<ClientInput> = {}): Promise<BrowserApp> {
  const callback = `${idp.issuer}/app/callback`;
  return { ...(await registerRp(idp, { redirectUris: [callback], ...input })), callback };
}

export type SignIn = { verifier: string; state: string };

/** The app sends the browser to the provider, as openid-client would. */
export async function startSignIn(page: Page, rp: BrowserApp, params: Record<string, string> = {}): Promise<SignIn> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.callback,
    scope: 'openid profile email phone member',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  await page.goto(url.href);
  return { verifier, state };
}

/** Waits for the browser to come back to the app and redeems the code there; returns the ID token's claims. */
export async function finishSignIn(page: Page, rp: BrowserApp, signIn: SignIn): Promise<oidc.IDToken> {
  await page.waitForURL(`${rp.callback}?**`);
  const tokens = await rp.finish(page.url(), signIn.verifier, signIn.state);
  return tokens.claims()!;
}

/** The newest message delivered to `to` (the outbox worker is run first). */
export async function messageTo(idp: TestIdp, to: string): Promise<{ text: string; subject: string }> {
  await idp.outbox.deliverDue();
  const message = idp.devOutbox!.find((m) => m.to === to);
  assert.ok(message, `no message to ${to}`);
  return message;
}

/** The catalogue's words in one language, as the person reads them (fields found by label, buttons by name). */
export const textsIn = (lang: Lang) => (key: TextKey, params?: Record<string, string | number>) => t(lang, key, params);
