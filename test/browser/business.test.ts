// A business portal user in Chromium: activation by e-mail code and by SMS code, forgot password,
// "send a new code" with its wait, the invitation link, and sign-in with e-mail and password; by
// labels and button names, in both languages; every page checked (axe, screenshots, 320 px, 200 %).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { inviteBusinessUser } from '../../src/accounts/business-users.ts';
import { createBusinessUser } from '../support/accounts.ts';
import { type BrowserApp, checkPage, type Device, finishSignIn, type Lang, launchChromium, textsIn, messageTo, openWindow, registerBrowserApp, startSignIn } from '../support/chromium.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';

const PASSWORD = 'blåbærsyltetøy til frokost';
const NEW_PASSWORD = 'nordlys over Lofoten i januar';
const SCOPE = 'openid profile email business';
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)![1]!;
/** A text with its "#" as any number. */
const withNumber = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('#', '\\d+'));

describe('business portal in Chromium', () => {
  let idp: TestIdp;
  let browser: Browser;
  let portal: BrowserApp;
  // The server's clock runs `offset` ms ahead (the wait before a new code is measured by it).
  let offset = 0;
  before(async () => {
    idp = await startIdp({}, { now: () => Date.now() + offset });
    portal = await registerBrowserApp(idp, { name: 'Bedriftsportalen', login: 'business' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await idp?.close();
  });

  /** E-mail + password on the sign-in page; returns the ID token's claims at the app. */
  async function signIn(lang: Lang, device: Device, email: string, password: string) {
    const T = textsIn(lang);
    const { context, page } = await openWindow(browser, { lang, device });
    const flow = await startSignIn(page, portal, { scope: SCOPE });
    await page.getByLabel(T('business.login.email')).fill(email);
    await page.getByLabel(T('business.login.password'), { exact: true }).fill(password);
    await page.getByRole('button', { name: T('business.login.submit') }).click();
    const claims = await finishSignIn(page, portal, flow);
    await context.close();
    return claims;
  }

  /** On the code request page: sends a code by e-mail or SMS; returns the code that arrived. */
  async function sendCode(page: Page, lang: Lang, channel: 'email' | 'sms', address: string, to: string): Promise<string> {
    const T = textsIn(lang);
    if (channel === 'email') {
      await page.getByLabel(T('business.code.email'), { exact: true }).fill(address);
      await page.getByRole('button', { name: T('business.code.send_email') }).click();
    } else {
      await page.getByLabel(T('business.code.mobile'), { exact: true }).fill(address);
      await page.getByRole('button', { name: T('business.code.send_sms') }).click();
    }
    await page.getByLabel(T('business.password.code')).waitFor();
    return codeIn((await messageTo(idp, to)).text);
  }

  for (const [lang, device, channel] of [['nb', 'desktop', 'email'], ['en', 'phone', 'sms']] as const) {
    test(`${lang}, ${device}: activation by ${channel} code, then sign-in with e-mail and password`, async () => {
      const T = textsIn(lang);
      const user = await createBusinessUser(idp);
      const { context, page } = await openWindow(browser, { lang, device });
      const flow = await startSignIn(page, portal, { scope: SCOPE });

      await page.getByRole('heading', { level: 1, name: T('business.login.heading') }).waitFor();
      await page.getByText(T('layout.signing_in_to', { client: 'Bedriftsportalen' })).waitFor();
      await checkPage(page, `business-login-${lang}`);
      // Not activated yet: the sign-in says so in general terms, and keeps the e-mail.
      await page.getByLabel(T('business.login.email')).fill(user.email!);
      await page.getByLabel(T('business.login.password'), { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: T('business.login.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('business.login.failed') }).waitFor();
      assert.equal(await page.getByLabel(T('business.login.email')).inputValue(), user.email);
      await checkPage(page, `business-login-error-${lang}`);

      await page.getByRole('link', { name: T('business.login.activate_link') }).click();
      await page.getByRole('heading', { level: 1, name: T('business.activate.title') }).waitFor();
      await checkPage(page, `business-activate-${lang}`);
      // Not an address: the error is next to the field, and what was typed stays.
      const field = channel === 'email' ? T('business.code.email') : T('business.code.mobile');
      await page.getByLabel(field, { exact: true }).fill('ikke en adresse');
      await page.getByRole('button', { name: channel === 'email' ? T('business.code.send_email') : T('business.code.send_sms') }).click();
      await page.getByRole('alert').waitFor();
      assert.equal(await page.getByLabel(field, { exact: true }).inputValue(), 'ikke en adresse');
      await checkPage(page, `business-activate-error-${lang}`);

      const code = await sendCode(page, lang, channel, channel === 'email' ? user.email! : user.mobile!.replace(/^\+47/, ''), channel === 'email' ? user.email! : user.mobile!);
      await checkPage(page, `business-code-${lang}`);
      // The words fit the channel asked for: the mobile number after SMS, the e-mail address after e-mail.
      await page.getByText(T(channel === 'email' ? 'business.password.sent_email' : 'business.password.sent_sms')).waitFor();
      assert.equal(await page.getByText(T(channel === 'email' ? 'business.password.sent_sms' : 'business.password.sent_email')).count(), 0);
      assert.equal(await page.getByLabel(T('business.password.code')).getAttribute('autocomplete'), 'one-time-code');
      assert.equal(await page.getByLabel(T('business.password.code')).getAttribute('inputmode'), 'numeric');

      // A wrong code: said so, with the attempts left; codes and passwords are not kept.
      await page.getByLabel(T('business.password.code')).fill(code === '000000' ? '111111' : '000000');
      await page.getByLabel(T('business.password.new'), { exact: true }).fill(PASSWORD);
      await page.getByLabel(T('business.password.confirm')).fill(PASSWORD);
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('business.password.code_wrong', { left: 4 }) }).waitFor();
      assert.equal(await page.getByLabel(T('business.password.code')).inputValue(), '');
      await checkPage(page, `business-code-error-${lang}`);

      // The right code with a password refused as too short: the code counts and is not asked again.
      await page.getByLabel(T('business.password.code')).fill(code);
      await page.getByLabel(T('business.password.new'), { exact: true }).fill('kort');
      await page.getByLabel(T('business.password.confirm')).fill('kort');
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('password.problem.too_short', { min: idp.settings.passwordMinLength }) }).waitFor();
      assert.equal(await page.getByLabel(T('business.password.code')).count(), 0, 'the right code is kept');
      await page.getByText(T('business.password.verified')).waitFor();
      await checkPage(page, `business-code-kept-${lang}`);

      // Then a password refused for holding the account's other address (known only once the code is
      // right): still only the password is asked again.
      const withAddress = `husk ${channel === 'email' ? user.mobile : user.email!.split('@')[0]} alltid`;
      await page.getByLabel(T('business.password.new'), { exact: true }).fill(withAddress);
      await page.getByLabel(T('business.password.confirm')).fill(withAddress);
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('password.problem.contains_identifier') }).waitFor();
      assert.equal(await page.getByLabel(T('business.password.code')).count(), 0);
      await page.getByText(T('business.password.verified')).waitFor();
      await checkPage(page, `business-code-verified-${lang}`);

      await page.getByLabel(T('business.password.new'), { exact: true }).fill(PASSWORD);
      await page.getByLabel(T('business.password.confirm')).fill(PASSWORD);
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('business.done.activated') }).waitFor();
      await page.getByText(T('business.done.login_name', { email: user.email! })).waitFor();
      await checkPage(page, `business-activated-${lang}`);
      await page.getByRole('button', { name: T('business.done.continue', { client: 'Bedriftsportalen' }) }).click();
      assert.equal((await finishSignIn(page, portal, flow)).sub, user.id);
      await context.close();

      assert.equal((await signIn(lang, device, user.email!, PASSWORD)).sub, user.id);
    });
  }

  for (const [lang, device, channel] of [['nb', 'phone', 'sms'], ['en', 'desktop', 'email']] as const) {
    test(`${lang}, ${device}: forgot password, a new one by ${channel} code`, async () => {
      const T = textsIn(lang);
      const user = await createBusinessUser(idp, { password: PASSWORD });
      const { context, page } = await openWindow(browser, { lang, device });
      const flow = await startSignIn(page, portal, { scope: SCOPE });
      await page.getByRole('link', { name: T('business.login.forgot') }).click();
      await page.getByRole('heading', { level: 1, name: T('business.reset.title') }).waitFor();
      await checkPage(page, `business-reset-${lang}`);
      const code = await sendCode(page, lang, channel, channel === 'email' ? user.email! : user.mobile!, channel === 'email' ? user.email! : user.mobile!);
      await checkPage(page, `business-reset-code-${lang}`);
      await page.getByLabel(T('business.password.code')).fill(code);
      await page.getByLabel(T('business.password.new'), { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel(T('business.password.confirm')).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('business.done.reset') }).waitFor();
      await checkPage(page, `business-reset-done-${lang}`);
      await page.getByRole('button', { name: T('business.done.continue', { client: 'Bedriftsportalen' }) }).click();
      assert.equal((await finishSignIn(page, portal, flow)).sub, user.id);
      await context.close();
      assert.equal((await signIn(lang, device, user.email!, NEW_PASSWORD)).sub, user.id);
    });
  }

  for (const lang of ['nb', 'en'] as const) {
    test(`${lang}: "send a new code" waits visibly and is refused early; then the new code works`, async () => {
      const T = textsIn(lang);
      const user = await createBusinessUser(idp);
      const { context, page } = await openWindow(browser, { lang, device: 'desktop' });
      await context.clock.install();
      const flow = await startSignIn(page, portal, { scope: SCOPE });
      await page.getByRole('link', { name: T('business.login.activate_link') }).click();
      const first = await sendCode(page, lang, 'email', user.email!, user.email!);

      const resend = page.getByRole('button', { name: T('business.resend.submit') });
      assert.equal(await resend.isDisabled(), true, 'the button waits');
      // The countdown starts from what the server said is left (a busy machine may have moved on a second).
      const left = Number(await page.locator('#resend-note').getAttribute('data-wait'));
      assert.ok(left > 50 && left <= idp.settings.resendWait, `the page waits the rest of ${idp.settings.resendWait} s (${left})`);
      await page.getByText(withNumber(T('business.resend.wait', { seconds: '#' }))).waitFor();
      // Sent anyway (as a browser without script would): refused, with the time left; nothing sent.
      await page.locator('form.resend').evaluate((form) => (form as unknown as { submit(): void }).submit());
      await page.getByRole('alert').filter({ hasText: withNumber(T('business.resend.too_soon', { seconds: '#' })) }).waitFor();
      await checkPage(page, `business-resend-too-soon-${lang}`);

      await page.clock.runFor(61_000);
      offset += idp.settings.resendWait * 1000;
      await page.getByText(T('business.resend.ready')).waitFor();
      await resend.click();
      await page.getByText(T('business.resend.sent')).waitFor();
      const second = codeIn((await messageTo(idp, user.email!)).text);
      await idp.outbox.deliverDue();
      assert.equal(idp.devOutbox!.filter((m) => m.to === user.email).length, 2, 'one new code, no more');

      if (first !== second) {
        await page.getByLabel(T('business.password.code')).fill(first);
        await page.getByLabel(T('business.password.new'), { exact: true }).fill(PASSWORD);
        await page.getByLabel(T('business.password.confirm')).fill(PASSWORD);
        await page.getByRole('button', { name: T('business.password.submit') }).click();
        await page.getByRole('alert').filter({ hasText: T('business.password.code_wrong', { left: 4 }) }).waitFor();
      }
      await page.getByLabel(T('business.password.code')).fill(second);
      await page.getByLabel(T('business.password.new'), { exact: true }).fill(PASSWORD);
      await page.getByLabel(T('business.password.confirm')).fill(PASSWORD);
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('button', { name: T('business.done.continue', { client: 'Bedriftsportalen' }) }).click();
      assert.equal((await finishSignIn(page, portal, flow)).sub, user.id);
      await context.close();
    });
  }

  for (const [lang, device] of [['nb', 'desktop'], ['en', 'phone']] as const) {
    test(`${lang}, ${device}: the invitation link activates the user once; used again it says what to do`, async () => {
      const T = textsIn(lang);
      const user = await createBusinessUser(idp);
      await inviteBusinessUser(idp.db, { issuer: idp.issuer, ttlMs: idp.settings.invitationTtl * 1000, createdBy: 'admin:test' }, user.email!);
      const link = /(https?:\/\/\S+)/.exec((await messageTo(idp, user.email!)).text)![1]!;
      const { context, page } = await openWindow(browser, { lang, device });
      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: T('business.invitation.title') }).waitFor();
      await page.getByText(T('business.invitation.intro', { email: user.email! })).waitFor();
      await checkPage(page, `business-invitation-${lang}`);

      await page.getByLabel(T('business.password.new'), { exact: true }).fill(PASSWORD);
      await page.getByLabel(T('business.password.confirm')).fill('noe annet helt');
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('password.problem.mismatch') }).waitFor();
      await checkPage(page, `business-invitation-error-${lang}`);

      await page.getByLabel(T('business.password.new'), { exact: true }).fill(PASSWORD);
      await page.getByLabel(T('business.password.confirm')).fill(PASSWORD);
      await page.getByRole('button', { name: T('business.password.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('business.done.activated') }).waitFor();
      assert.equal(await page.getByRole('link', { name: T('business.done.portal') }).getAttribute('href'), idp.settings.businessPortalUrl);
      await checkPage(page, `business-invitation-done-${lang}`, { languageSwitch: false });

      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: T('business.invitation.invalid.title') }).waitFor();
      await checkPage(page, `business-invitation-used-${lang}`);
      await context.close();
      assert.equal((await signIn(lang, device, user.email!, PASSWORD)).sub, user.id);
    });
  }
});
