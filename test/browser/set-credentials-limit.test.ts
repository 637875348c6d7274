// The "too many tries" page of the choose-username step, in Chromium: clear, accessible (axe, 320 px,
// 200 %), in Norwegian and English, and its way on leads back to the form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { runCli } from '../../src/cli/run.ts';
import { createMember } from '../support/accounts.ts';
import { type BrowserApp, checkPage, launchChromium, messageTo, openWindow, registerBrowserApp, startSignIn, textsIn } from '../support/chromium.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';

describe('choose-username limit in Chromium', () => {
  let idp: TestIdp;
  let browser: Browser;
  let rp: BrowserApp;
  before(async () => {
    idp = await startIdp({ CREDENTIALS_LIMIT_FLOW_HOUR: '1' });
    rp = await registerBrowserApp(idp, { name: 'Uravstemning' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await idp?.close();
  });

  for (const [lang, device] of [['nb', 'desktop'], ['en', 'phone']] as const) {
    test(`${lang}, ${device}: the second try gets the "too many tries" page`, async () => {
      const T = textsIn(lang);
      const member = await createMember(idp);
      assert.equal(await runCli(['members', 'send-first-time-password', member.memberNumber!, '--sms', '--by', 'test'], { db: idp.db, settings: idp.settings, out: () => {}, err: () => {} }), 0);
      await idp.outbox.deliverDue();
      const firstTimePassword = /\b[a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4}\b/.exec((await messageTo(idp, member.mobile!)).text)![0];

      const { context, page } = await openWindow(browser, { lang, device });
      await startSignIn(page, rp);
      await page.getByRole('link', { name: T('login.first_login_link') }).click();
      await page.getByLabel(T('first_login.member_number'), { exact: true }).fill(member.memberNumber!);
      await page.getByLabel(T('first_login.password')).fill(firstTimePassword);
      await page.getByRole('button', { name: T('first_login.submit') }).click();

      await page.getByRole('heading', { level: 1, name: T('credentials.heading') }).waitFor();
      for (let i = 0; i < 2; i++) {
        await page.getByLabel(T('credentials.username')).fill('ab');
        await page.getByRole('button', { name: T('credentials.submit') }).click();
        if (i === 0) await page.getByRole('alert').waitFor();
      }
      await page.getByRole('heading', { level: 1, name: T('credentials.limited.title') }).waitFor();
      await page.getByText(T('credentials.limited.body')).waitFor();
      await checkPage(page, `credentials-limited-${lang}`);
      await page.getByRole('link', { name: T('credentials.limited.retry') }).click();
      await page.getByRole('heading', { level: 1, name: T('credentials.heading') }).waitFor();
      await context.close();
    });
  }
});
