// A person signs in through the demo app in Chromium, by labels and button names, in both languages,
// on a desktop and a phone; every page passes an axe-core WCAG 2.1 A/AA scan.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_MEMBER } from '../../src/demo.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { axeViolations, launchChromium, overflowsHorizontally, screenshot, viewports } from '../support/chromium.ts';

describe('member sign-in in Chromium', () => {
  let idp: TestIdp;
  let browser: Browser;
  before(async () => {
    idp = await startIdp({ DEMO: 'true' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await idp.close();
  });

  for (const [device, viewport] of Object.entries(viewports)) {
    test(`Norwegian, ${device}: demo app → sign in → claims → sign out`, async () => {
      const context = await browser.newContext({ viewport, locale: 'nb-NO' });
      const page = await context.newPage();
      await page.goto(`${idp.issuer}/demo`);
      await page.getByRole('link', { name: 'Logg inn som medlem' }).click();

      await page.waitForURL(/\/interaction\//);
      assert.equal(await page.getAttribute('html', 'lang'), 'nb');
      assert.match(await page.title(), /Logg inn/);
      assert.deepEqual(await axeViolations(page), []);
      assert.equal(await overflowsHorizontally(page), false);
      await screenshot(page, `member-login-nb-${device}`);

      // A wrong password: the error is announced, listed, and the identifier kept.
      await page.getByLabel('Medlemsnummer eller brukernavn').fill(DEMO_MEMBER.memberNumber);
      await page.getByLabel('Passord', { exact: true }).fill('feil-passord-her');
      await page.getByRole('button', { name: 'Logg inn' }).click();
      await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'Feil medlemsnummer/brukernavn eller passord.' }).waitFor());
      assert.equal(await page.getByLabel('Medlemsnummer eller brukernavn').inputValue(), DEMO_MEMBER.memberNumber);
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, `member-login-error-nb-${device}`);

      await page.getByLabel('Passord', { exact: true }).fill(DEMO_MEMBER.password);
      await page.getByRole('button', { name: 'Logg inn' }).click();
      await page.waitForURL(/\/demo\/callback/);
      assert.match(await page.locator('dl.claims').last().innerText(), /member_number/);
      await screenshot(page, `demo-claims-nb-${device}`);

      await page.getByRole('link', { name: 'Logg ut' }).click();
      await page.getByRole('heading', { name: 'Vil du logge ut?' }).waitFor();
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, `logout-nb-${device}`);
      await page.getByRole('button', { name: 'Logg ut' }).click();
      await page.waitForURL(/\/demo$/);
      await context.close();
    });
  }

  test('English through the language switch, keeping the flow', async () => {
    const context = await browser.newContext({ viewport: viewports.desktop, locale: 'nb-NO' });
    const page = await context.newPage();
    await page.goto(`${idp.issuer}/demo`);
    await page.getByRole('link', { name: 'Logg inn som medlem' }).click();
    await page.getByRole('link', { name: 'Change language to English' }).click();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.title(), /Sign in/);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, 'member-login-en-desktop');
    await page.getByLabel('Member number or username').fill(DEMO_MEMBER.username);
    await page.getByLabel('Password', { exact: true }).fill(DEMO_MEMBER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/demo\/callback/);
    await context.close();
  });

  test('error and not-found pages are accessible too', async () => {
    const context = await browser.newContext({ locale: 'nb-NO' });
    const page = await context.newPage();
    await page.goto(`${idp.issuer}/no-such-page`);
    assert.match(await page.title(), /Fant ikke siden/);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, 'not-found-nb');
    await page.goto(`${idp.issuer}/auth?client_id=unknown&response_type=code&scope=openid`);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, 'protocol-error-nb');
    await context.close();
  });
});
