// The staff console in Chromium, through every page: a caseworker invited by the CLI enrols TOTP (the
// code computed here with otpauth), signs in, finds a member and sends a first-time password that
// arrives at the SMS connector; an admin registers a client app that then signs a member in, and
// visits every admin page. Each page: axe (WCAG 2.1 AA), screenshots, no sideways scrolling at 320 px.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { createMember } from '../support/accounts.ts';
import { axeViolations, type Lang, launchChromium, messageTo, openWindow, overflowsHorizontally, screenshot, textsIn, viewports } from '../support/chromium.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { enrol, inviteByCli, STAFF_PASSWORD, totpCode, type EnrolledStaff } from '../support/staff.ts';

/**
 * The checks of checkPage that fit the console (its fields are about other people, so they carry no
 * autocomplete purpose): title, one h1, no axe violations and a screenshot at desktop and phone
 * size, no sideways scrolling at 320 px and 200 % zoom.
 */
async function checkConsolePage(page: Page, name: string): Promise<void> {
  assert.match(await page.title(), /^\S.* – Handel og Kontor$/, name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  for (const [device, viewport] of Object.entries(viewports)) {
    await page.setViewportSize(viewport);
    assert.deepEqual(await axeViolations(page), [], `${name} on ${device}: axe`);
    await screenshot(page, `console-${name}-${device}`);
  }
  for (const width of [320, 640]) {
    await page.setViewportSize({ width, height: 740 });
    assert.equal(await overflowsHorizontally(page), false, `${name}: scrolls sideways at ${width} px`);
  }
  await page.setViewportSize(viewports.desktop);
}

describe('staff console in Chromium', () => {
  let idp: TestIdp;
  let browser: Browser;
  // The server's clock runs `offset` ms ahead: each sign-in gets a TOTP step of its own.
  let offset = 0;
  const now = () => Date.now() + offset;
  before(async () => {
    idp = await startIdp({}, { now });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await idp?.close();
  });

  /** /console → sign-in page (e-mail + password) → code page → the member search. */
  async function signIn(page: Page, lang: Lang, staff: { email: string; secret: string }, check = false): Promise<void> {
    const T = textsIn(lang);
    await page.goto(`${idp.base}/console`);
    if (check) await checkConsolePage(page, `start-${lang}`);
    await page.getByRole('link', { name: T('console.start.submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.login.title') }).waitFor();
    if (check) await checkConsolePage(page, `sign-in-${lang}`);
    await page.getByLabel(T('console.login.email')).fill(staff.email);
    await page.getByLabel(T('console.login.password'), { exact: true }).fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: T('console.login.submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.login.code_title') }).waitFor();
    if (check) await checkConsolePage(page, `code-${lang}`);
    offset += 30_000;
    await page.getByLabel(T('console.login.code')).fill(totpCode(staff.secret, now()));
    await page.getByRole('button', { name: T('console.login.code_submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.search.title') }).waitFor();
  }

  test('a caseworker invited by the CLI enrols TOTP, signs in, finds a member and sends a first-time password by SMS', async () => {
    const T = textsIn('nb');
    const link = await inviteByCli(idp, 'kari@hk.example', 'caseworker');
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'desktop' });

    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: T('console.enrol.title') }).waitFor();
    await checkConsolePage(page, 'enrol-password');
    await page.getByLabel(T('console.enrol.password'), { exact: true }).fill(STAFF_PASSWORD);
    await page.getByLabel(T('console.enrol.confirm'), { exact: true }).fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: T('console.enrol.submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.enrol.totp_title') }).waitFor();
    await page.getByRole('img', { name: T('console.enrol.qr_alt') }).waitFor();
    assert.ok(await page.getByRole('img', { name: T('console.enrol.qr_alt') }).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the QR code loads under the CSP');
    await checkConsolePage(page, 'enrol-totp');
    assert.match(await page.locator('main').innerText(), /Kan du ikke skanne\? Skriv inn denne nøkkelen: [A-Z2-7 ]+/);
    const secret = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    // A wrong code first: nothing saved, the page says so.
    await page.getByLabel(T('console.enrol.code')).fill(totpCode(secret, now()) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: T('console.enrol.code_submit') }).click();
    await page.getByRole('alert').filter({ hasText: T('console.enrol.code_failed') }).waitFor();
    await checkConsolePage(page, 'enrol-totp-error');
    await page.getByLabel(T('console.enrol.code')).fill(totpCode(secret, now()));
    await page.getByRole('button', { name: T('console.enrol.code_submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.enrol.done_title') }).waitFor();
    assert.equal(await page.locator('.recovery-codes li').count(), 10);
    await checkConsolePage(page, 'enrol-recovery-codes');

    // The link is used up.
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: T('console.enrol.invalid_title') }).waitFor();
    await checkConsolePage(page, 'enrol-invalid');

    await signIn(page, 'nb', { email: 'kari@hk.example', secret }, true);
    await checkConsolePage(page, 'members');
    assert.equal(await page.getByRole('link', { name: T('console.nav.clients') }).count(), 0, 'no admin menu for a caseworker');
    await page.goto(`${idp.base}/console/clients`);
    await page.getByRole('heading', { level: 1, name: T('console.forbidden.title') }).waitFor();
    await checkConsolePage(page, 'forbidden');
    await page.getByRole('link', { name: T('console.nav.members') }).click();

    const member = await createMember(idp, { givenName: 'Siri', familyName: 'Ringer', mobile: '41234432' });
    await page.getByLabel(T('console.search.query')).fill(member.memberNumber!);
    await page.getByRole('button', { name: T('console.search.submit') }).click();
    await page.getByRole('cell', { name: '+47 ••• •• 432' }).waitFor();
    await checkConsolePage(page, 'members-results');
    await page.getByRole('link', { name: member.memberNumber! }).click();
    await page.getByRole('heading', { level: 1, name: T('console.member.title', { number: member.memberNumber! }) }).waitFor();
    await checkConsolePage(page, 'member');
    await page.getByRole('link', { name: T('console.member.send') }).click();
    await page.getByText(T('console.send.confirm', { name: 'Siri Ringer', mobile: '+47 ••• •• 432' })).waitFor();
    await checkConsolePage(page, 'send-confirm');
    await page.getByRole('button', { name: T('console.send.submit') }).click();
    await page.getByRole('status').filter({ hasText: T('console.send.sent', { mobile: '+47 ••• •• 432' }) }).waitFor();
    await checkConsolePage(page, 'send-done');
    const sms = await messageTo(idp, '+4741234432');
    assert.match(sms.text, /førstegangspassord/i);
    assert.ok(!(await page.content()).includes(sms.text.match(/[a-z0-9]{4} [a-z0-9]{4} [a-z0-9]{4}/)![0]), 'the caseworker never sees it');

    await page.getByRole('link', { name: T('console.member.sign_out') }).click();
    await page.getByText(T('console.sign_out.confirm', { name: 'Siri Ringer', n: 0 })).waitFor();
    await checkConsolePage(page, 'sign-out-confirm');
    await page.getByRole('button', { name: T('console.sign_out.submit') }).click();
    await page.getByRole('status').filter({ hasText: T('console.sign_out.none') }).waitFor();

    await page.getByRole('button', { name: T('console.nav.sign_out') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.signed_out.title') }).waitFor();
    await checkConsolePage(page, 'signed-out');
    await context.close();
  });

  test('an admin (en, phone) registers a client app that then signs a member in, and goes through every admin page', async () => {
    const T = textsIn('en');
    const admin: EnrolledStaff = await enrol(idp, await inviteByCli(idp, 'ola@hk.example', 'admin'), now);
    const { context, page } = await openWindow(browser, { lang: 'en', device: 'phone' });
    await signIn(page, 'en', admin);

    await page.getByRole('link', { name: T('console.nav.clients') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.clients.title') }).waitFor();
    await checkConsolePage(page, 'clients');
    const callback = `${idp.issuer}/app/callback`;
    await page.getByLabel(T('console.clients.name')).fill('Valgsystemet');
    await page.getByLabel(T('console.clients.login.member')).check();
    await page.getByLabel(T('console.clients.first_party')).check();
    await page.getByLabel(T('console.clients.redirect_uris')).fill(callback);
    await page.getByRole('button', { name: T('console.clients.save') }).click();
    const saved = page.getByRole('status');
    await saved.filter({ hasText: T('console.clients.saved', { name: 'Valgsystemet' }) }).waitFor();
    await checkConsolePage(page, 'client-added');
    const shown = await saved.innerText();
    const clientId = shown.match(/Client ID: ([\w-]{36})/)![1]!;
    const secret = shown.match(/shown only now\): ([\w-]{43})/)![1]!;

    // The new app signs a member in.
    const member = await createMember(idp, { password: 'fjelltur-i-jotunheimen' });
    const config = await oidc.discovery(new URL(idp.issuer), clientId, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const memberWindow = await openWindow(browser, { lang: 'nb', device: 'desktop' });
    await memberWindow.page.goto(oidc.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid member', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state }).href);
    await memberWindow.page.getByLabel('Medlemsnummer eller brukernavn').fill(member.memberNumber!);
    await memberWindow.page.getByLabel('Passord', { exact: true }).fill('fjelltur-i-jotunheimen');
    await memberWindow.page.getByRole('button', { name: 'Logg inn' }).click();
    await memberWindow.page.waitForURL(`${callback}?**`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(memberWindow.page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims()!.sub, member.id);
    await memberWindow.context.close();

    // Edit, rotate (confirm page), remove (confirm page).
    await page.getByRole('link', { name: T('console.nav.clients') }).click();
    await page.getByRole('link', { name: 'Valgsystemet' }).click();
    await checkConsolePage(page, 'client-edit');
    await page.getByRole('link', { name: T('console.clients.rotate') }).click();
    await checkConsolePage(page, 'client-rotate-confirm');
    await page.getByRole('button', { name: T('console.clients.rotate') }).click();
    await page.getByRole('status').filter({ hasText: 'shown only now' }).waitFor();
    await page.getByRole('link', { name: T('console.clients.remove') }).click();
    await checkConsolePage(page, 'client-remove-confirm');
    await page.getByRole('button', { name: T('console.clients.remove') }).click();
    await page.getByRole('status').filter({ hasText: T('console.clients.removed') }).waitFor();

    await page.getByRole('link', { name: T('console.nav.business') }).click();
    await page.getByLabel(T('console.business.email')).fill('anne@firma.example');
    await page.getByLabel(T('console.business.given_name')).fill('Anne');
    await page.getByLabel(T('console.business.family_name')).fill('Lie');
    await page.getByLabel(T('console.business.org_number'), { exact: true }).fill('987654321');
    await page.getByLabel(T('console.business.org_name'), { exact: true }).fill('Firma AS');
    await page.getByRole('button', { name: T('console.business.add') }).click();
    await page.getByRole('status').filter({ hasText: T('console.business.done', { email: 'anne@firma.example' }) }).waitFor();
    await checkConsolePage(page, 'business-users');
    await page.getByRole('button', { name: `${T('console.business.invite')} anne@firma.example` }).click();
    await page.getByRole('status').waitFor();
    assert.ok((await messageTo(idp, 'anne@firma.example')).subject);

    await page.getByRole('link', { name: T('console.nav.staff') }).click();
    await page.getByLabel(T('console.staff.email')).fill('per@hk.example');
    await page.getByLabel(T('console.staff.name')).fill('Per Hansen');
    await page.getByRole('button', { name: T('console.staff.invite') }).click();
    await page.getByRole('status').filter({ hasText: T('console.staff.invited', { email: 'per@hk.example' }) }).waitFor();
    await checkConsolePage(page, 'staff');
    assert.ok((await messageTo(idp, 'per@hk.example')).text.includes('/console/enrol/'));

    await page.getByRole('link', { name: T('console.nav.audit') }).click();
    await page.getByRole('heading', { level: 1, name: T('console.audit.title') }).waitFor();
    await page.getByLabel(T('console.audit.event')).fill('client.added');
    await page.getByRole('button', { name: T('console.audit.filter') }).click();
    await page.getByRole('cell', { name: /client\.added/ }).first().waitFor();
    await checkConsolePage(page, 'audit');
    await context.close();
  });
});
