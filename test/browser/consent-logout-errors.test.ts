// Consent for an app that is not HK's own, logout, switching between a member and a business
// account in one browser, and the error pages (expired sign-in, wrong form, 404, protocol error),
// in Chromium, in both languages; every page checked (axe, screenshots, 320 px, 200 %).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { t } from '../../interactions/i18n.ts';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import * as oidc from 'openid-client';
import { type BrowserApp, checkPage, finishSignIn, type Lang, launchChromium, textsIn, openWindow, registerBrowserApp, startSignIn } from '../support/chromium.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';

const PASSWORD = 'kaffe og kanelboller på fredag';

describe('consent, logout, account switch and error pages in Chromium', () => {
  let idp: TestIdp;
  let browser: Browser;
  let memberApp: BrowserApp;
  let thirdParty: BrowserApp;
  let portal: BrowserApp;
  before(async () => {
    idp = await startIdp();
    memberApp = await registerBrowserApp(idp, { name: 'Medlemssidene' });
    thirdParty = await registerBrowserApp(idp, { name: 'Feriehytta AS', firstParty: false });
    portal = await registerBrowserApp(idp, { name: 'Bedriftsportalen', login: 'business' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await idp?.close();
  });

  async function memberSignsIn(page: Page, lang: Lang, member: { memberNumber: string | null }) {
    const T = textsIn(lang);
    await page.getByLabel(T('login.identifier')).fill(member.memberNumber!);
    await page.getByLabel(T('login.password'), { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: T('login.submit') }).click();
  }

  for (const [lang, device, decision] of [['nb', 'desktop', 'allow'], ['en', 'phone', 'deny']] as const) {
    test(`${lang}, ${device}: an app that is not HK's own asks first; the person chooses "${decision}"`, async () => {
      const T = textsIn(lang);
      const member = await createMember(idp, { password: PASSWORD });
      const { context, page } = await openWindow(browser, { lang, device });
      const flow = await startSignIn(page, thirdParty, { scope: 'openid profile email' });
      await memberSignsIn(page, lang, member);
      await page.getByRole('heading', { level: 1, name: T('consent.heading', { client: 'Feriehytta AS' }) }).waitFor();
      for (const scope of ['scope.openid', 'scope.profile', 'scope.email'] as const) await page.getByRole('listitem').filter({ hasText: T(scope) }).waitFor();
      await checkPage(page, `consent-${lang}`);
      // The consent page's own "Avbryt" is the way back; no second one.
      assert.equal(await page.getByRole('button', { name: T('layout.cancel_to_app', { client: 'Feriehytta AS' }) }).count(), 0);
      if (decision === 'allow') {
        await page.getByRole('button', { name: T('consent.allow') }).click();
        assert.equal((await finishSignIn(page, thirdParty, flow)).sub, member.id);
      } else {
        await page.getByRole('button', { name: T('consent.deny') }).click();
        await page.waitForURL(`${thirdParty.callback}?**`);
        assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
      }
      await context.close();
    });
  }

  for (const [lang, device] of [['nb', 'desktop'], ['en', 'phone']] as const) {
    test(`${lang}, ${device}: logout asks, signs out and says so; a second logout says there is nothing to sign out of`, async () => {
      const T = textsIn(lang);
      const member = await createMember(idp, { password: PASSWORD });
      const { context, page } = await openWindow(browser, { lang, device });
      const flow = await startSignIn(page, memberApp);
      await memberSignsIn(page, lang, member);
      await finishSignIn(page, memberApp, flow);

      const logout = `${idp.issuer}/session/end?client_id=${memberApp.clientId}`;
      await page.goto(logout);
      await page.getByRole('heading', { level: 1, name: T('logout.heading') }).waitFor();
      await checkPage(page, `logout-${lang}`);
      await page.getByRole('button', { name: T('logout.confirm'), exact: true }).click();
      await page.getByRole('heading', { level: 1, name: T('logout.done.heading') }).waitFor();
      assert.equal(await page.getByRole('link', { name: T('layout.home', { site: 'hk.no' }) }).getAttribute('href'), idp.settings.brand.homeUrl);
      await checkPage(page, `logout-done-${lang}`);

      // Signed out already: the provider's own English "Continue" form is replaced by ours.
      await page.goto(logout);
      await page.getByRole('heading', { level: 1, name: T('switch.signed_out.title') }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await checkPage(page, `logout-not-signed-in-${lang}`);
      await page.getByRole('button', { name: T('switch.signed_out.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('logout.done.heading') }).waitFor();

      // Signing in again asks for the password.
      await startSignIn(page, memberApp);
      await page.getByLabel(T('login.identifier')).waitFor();
      await context.close();
    });
  }

  /** A member signs in to the member app, then a business user to the portal in the same browser: up to our account-switch page. */
  async function toAccountSwitch(lang: Lang, device: 'desktop' | 'phone') {
    const T = textsIn(lang);
    const member = await createMember(idp, { password: PASSWORD });
    const user = await createBusinessUser(idp, { password: PASSWORD });
    const { context, page } = await openWindow(browser, { lang, device });
    const memberFlow = await startSignIn(page, memberApp);
    await memberSignsIn(page, lang, member);
    assert.equal((await finishSignIn(page, memberApp, memberFlow)).sub, member.id);
    // The portal needs a business account: its own sign-in page, then ours (not the library's) to end the member's session.
    const flow = await startSignIn(page, portal, { scope: 'openid email business' });
    await page.getByLabel(T('business.login.email')).fill(user.email!);
    await page.getByLabel(T('business.login.password'), { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: T('business.login.submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('switch.title') }).waitFor();
    return { context, page, member, user, flow };
  }

  for (const [lang, device] of [['nb', 'desktop'], ['en', 'phone']] as const) {
    test(`${lang}, ${device}: a member signed in, then a business user signs in to the portal in the same browser`, async () => {
      const T = textsIn(lang);
      const { context, page, user, flow } = await toAccountSwitch(lang, device);
      await page.getByText(T('switch.intro', { client: 'Bedriftsportalen' })).waitFor();
      await checkPage(page, `account-switch-${lang}`);
      assert.doesNotMatch(await page.content(), /Submitting Callback|<script>/);

      // The language switch gives the same step in the other language, and it still works.
      const other: Lang = lang === 'nb' ? 'en' : 'nb';
      await page.getByRole('link', { name: T('lang.switch.label') }).click();
      await page.getByRole('heading', { level: 1, name: t(other, 'switch.title') }).waitFor();
      await page.getByRole('button', { name: t(other, 'switch.submit') }).click();
      assert.equal((await finishSignIn(page, portal, flow)).sub, user.id);

      // The member is signed out: the member app asks for a sign-in again.
      await startSignIn(page, memberApp);
      await page.getByLabel(t(other, 'login.identifier')).waitFor();
      await context.close();
    });
  }

  test('nb, phone: on the account-switch page, cancel instead: the portal gets access_denied and the member stays signed in', async () => {
    const T = textsIn('nb');
    const { context, page, member, flow } = await toAccountSwitch('nb', 'phone');
    await page.getByRole('button', { name: T('layout.cancel_to_app', { client: 'Bedriftsportalen' }) }).click();
    await page.waitForURL(`${portal.callback}?**`);
    await assert.rejects(portal.finish(page.url(), flow.verifier, flow.state), (e: unknown) => e instanceof oidc.AuthorizationResponseError && e.error === 'access_denied');

    // Nothing changed for the member: the member app gets the member again, without a sign-in page.
    const again = await startSignIn(page, memberApp);
    assert.equal((await finishSignIn(page, memberApp, again)).sub, member.id);
    await context.close();
  });

  for (const [lang, device] of [['nb', 'phone'], ['en', 'desktop']] as const) {
    test(`${lang}, ${device}: error pages say what happened and what to do, in the person's language`, async () => {
      const T = textsIn(lang);
      const other: Lang = lang === 'nb' ? 'en' : 'nb';
      const { context, page } = await openWindow(browser, { lang, device });

      await page.goto(`${idp.issuer}/no-such-page`);
      await page.getByRole('heading', { level: 1, name: T('error.not_found.heading') }).waitFor();
      await checkPage(page, `error-not-found-${lang}`);
      await page.getByRole('link', { name: T('lang.switch.label') }).click();
      await page.getByRole('heading', { level: 1, name: t(other, 'error.not_found.heading') }).waitFor();
      await page.getByRole('link', { name: t(other, 'lang.switch.label') }).click();

      await page.goto(`${idp.issuer}/auth?client_id=unknown&response_type=code&scope=openid`);
      await page.getByRole('heading', { level: 1, name: T('error.heading') }).waitFor();
      await page.getByText(T('error.code', { code: 'invalid_client' })).waitFor();
      await checkPage(page, `error-protocol-${lang}`);

      // A form sent without its token (another site, an old tab): refused; the switch leads back to the step.
      await startSignIn(page, memberApp);
      await page.locator('form[action$="/login"] input[name="csrf"]').evaluate((input) => ((input as unknown as { value: string }).value = 'forged'));
      await page.getByRole('button', { name: T('login.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('error.csrf.heading') }).waitFor();
      await checkPage(page, `error-form-${lang}`);
      // The error page of a sign-in an app started offers the way back to that app.
      await page.getByRole('button', { name: T('layout.cancel_to_app', { client: 'Medlemssidene' }) }).waitFor();
      await page.getByRole('link', { name: T('lang.switch.label') }).click();
      await page.getByRole('heading', { level: 1, name: t(other, 'login.heading') }).waitFor();
      await page.getByRole('link', { name: t(other, 'lang.switch.label') }).click();

      // The sign-in expired (its cookie is gone): said so, when posting and when opening the page again.
      await context.clearCookies();
      await page.getByRole('button', { name: T('login.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('error.expired.heading') }).waitFor();
      await checkPage(page, `error-expired-${lang}`);
      assert.match((await page.locator('a.lang').getAttribute('href'))!, /^\/interaction\/[\w-]+\?lang=/, 'the switch is a GET of the step');
      await page.getByRole('link', { name: T('lang.switch.label') }).click();
      await page.getByRole('heading', { level: 1, name: t(other, 'error.expired.heading') }).waitFor();
      await context.close();
    });
  }

  for (const [lang, device] of [['nb', 'desktop'], ['en', 'phone']] as const) {
    test(`${lang}, ${device}: "cancel and go back to the app" from a sign-in page and from an error page; the app receives access_denied`, async () => {
      const T = textsIn(lang);
      const { context, page } = await openWindow(browser, { lang, device });
      // From the sign-in page, by keyboard.
      const first = await startSignIn(page, memberApp);
      const cancel = page.getByRole('button', { name: T('layout.cancel_to_app', { client: 'Medlemssidene' }) });
      await cancel.focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(`${memberApp.callback}?**`);
      await assert.rejects(memberApp.finish(page.url(), first.verifier, first.state), (e: unknown) => e instanceof oidc.AuthorizationResponseError && e.error === 'access_denied');

      // From an error page inside the sign-in (a form sent with a wrong token).
      const second = await startSignIn(page, memberApp);
      await page.getByRole('link', { name: T('login.order_link') }).click();
      await page.getByRole('button', { name: T('layout.cancel_to_app', { client: 'Medlemssidene' }) }).waitFor();
      await page.locator('form[action$="/first-time-password"] input[name="csrf"]').evaluate((input) => ((input as unknown as { value: string }).value = 'forged'));
      await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();
      await page.getByRole('heading', { level: 1, name: T('error.csrf.heading') }).waitFor();
      await checkPage(page, `error-form-cancel-${lang}`);
      await page.getByRole('button', { name: T('layout.cancel_to_app', { client: 'Medlemssidene' }) }).click();
      await page.waitForURL(`${memberApp.callback}?**`);
      assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
      await assert.rejects(memberApp.finish(page.url(), second.verifier, second.state), (e: unknown) => e instanceof oidc.AuthorizationResponseError && e.error === 'access_denied');
      await context.close();
    });
  }
});
