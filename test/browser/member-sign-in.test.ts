// A person signs in through the demo app in Chromium, by labels and button names, in both languages,
// on a desktop and a phone; every page checked (axe, screenshots, 320 px, 200 %). Also what every
// page shares: the language choice, the error summary and its focus, the show-password button,
// visible focus, working without JavaScript, the sign-in help, and branding from the settings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_MEMBER } from '../../src/demo.ts';
import { axeViolations, checkPage, launchChromium, openWindow, registerBrowserApp, screenshot, startSignIn, viewports } from '../support/chromium.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const activeElement = (page: Page) => page.evaluate('document.activeElement?.id || document.activeElement?.className');

describe('member sign-in in Chromium', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp({ DEMO: 'true', BALLOT_EMAIL: 'valg@hk.no' });
  });
  after(async () => {
    await idp?.close();
  });

  async function openSignIn(options: Parameters<typeof openWindow>[1], path = '/demo/login?kind=member') {
    const window = await openWindow(browser, options);
    await window.page.goto(`${idp.issuer}${path}`);
    await window.page.waitForURL(/\/interaction\//);
    return window;
  }

  for (const device of ['desktop', 'phone'] as const) {
    test(`Norwegian, ${device}: demo app → wrong password → sign in → claims → sign out`, async () => {
      const { context, page } = await openWindow(browser, { lang: 'nb', device });
      await page.goto(`${idp.issuer}/demo`);
      await page.getByRole('link', { name: 'Logg inn som medlem' }).click();
      await page.waitForURL(/\/interaction\//);
      assert.equal(await page.getAttribute('html', 'lang'), 'nb');
      assert.equal(await page.title(), 'Logg inn – Handel og Kontor');
      await page.getByText('Du logger inn på Demo-app (medlem)').waitFor();
      // checkPage covers both sizes; the phone run is the flow itself at 360 px.
      if (device === 'desktop') await checkPage(page, 'member-login-nb');

      // A wrong password: announced, listed, focused; the identifier kept, the password not.
      await page.getByLabel('Medlemsnummer eller brukernavn').fill(DEMO_MEMBER.memberNumber);
      await page.getByLabel('Passord', { exact: true }).fill('feil-passord-her');
      await page.getByRole('button', { name: 'Logg inn' }).click();
      await page.getByRole('alert').filter({ hasText: 'Feil medlemsnummer/brukernavn eller passord.' }).waitFor();
      assert.equal(await page.title(), 'Noe må rettes: Logg inn – Handel og Kontor');
      assert.equal(await activeElement(page), 'error-summary');
      assert.equal(await page.getByLabel('Medlemsnummer eller brukernavn').inputValue(), DEMO_MEMBER.memberNumber);
      assert.equal(await page.getByLabel('Passord', { exact: true }).inputValue(), '');
      if (device === 'desktop') await checkPage(page, 'member-login-error-nb');

      await page.getByLabel('Passord', { exact: true }).fill(DEMO_MEMBER.password);
      await page.getByRole('button', { name: 'Logg inn' }).click();
      await page.waitForURL(/\/demo\/callback/);
      assert.match(await page.locator('dl.claims').last().innerText(), /member_number/);
      await screenshot(page, `demo-claims-nb-${device}`);

      // The demo app is first-party and sends its ID token: no second question, straight back.
      await page.getByRole('link', { name: 'Logg ut' }).click();
      await page.waitForURL(/\/demo$/);
      await context.close();
    });
  }

  test('English: by the language switch (keeping the flow and remembered), by ui_locales, by Accept-Language', async () => {
    // The switch: same step, English from then on, and the sign-in still works.
    const nb = await openSignIn({ lang: 'nb', device: 'desktop' });
    // What was typed is kept across the switch, except the password.
    await nb.page.getByLabel('Medlemsnummer eller brukernavn').fill(DEMO_MEMBER.memberNumber);
    await nb.page.getByLabel('Passord', { exact: true }).fill('hemmelig');
    await nb.page.getByRole('link', { name: 'Change language to English' }).click();
    assert.equal(await nb.page.getAttribute('html', 'lang'), 'en');
    assert.equal(await nb.page.getByLabel('Member number or username').inputValue(), DEMO_MEMBER.memberNumber);
    assert.equal(await nb.page.getByLabel('Password', { exact: true }).inputValue(), '');
    assert.equal(await nb.page.title(), 'Sign in – Handel og Kontor');
    await checkPage(nb.page, 'member-login-en');
    await nb.page.getByRole('link', { name: 'I want a password or have forgotten mine' }).click();
    await nb.page.getByRole('heading', { name: 'Order a first-time password' }).waitFor();
    await nb.page.getByRole('link', { name: 'Back to sign-in' }).click();
    await nb.page.getByLabel('Member number or username').fill(DEMO_MEMBER.username);
    await nb.page.getByLabel('Password', { exact: true }).fill('wrong password here');
    await nb.page.getByRole('button', { name: 'Sign in' }).click();
    await nb.page.getByRole('alert').filter({ hasText: 'Wrong member number/username or password.' }).waitFor();
    await checkPage(nb.page, 'member-login-error-en');
    // A page answering a POST: its switch is the GET page of the same step.
    assert.match((await nb.page.locator('a.lang').getAttribute('href'))!, /^\/interaction\/[\w-]+\?lang=nb$/);
    await nb.page.getByLabel('Password', { exact: true }).fill(DEMO_MEMBER.password);
    await nb.page.getByRole('button', { name: 'Sign in' }).click();
    await nb.page.waitForURL(/\/demo\/callback/);
    await nb.context.close();

    // ui_locales from the app, in a Norwegian browser.
    const asked = await openWindow(browser, { lang: 'nb', device: 'phone' });
    await startSignIn(asked.page, await registerBrowserApp(idp, { name: 'Engelsk app' }), { ui_locales: 'en-GB nb' });
    assert.equal(await asked.page.getAttribute('html', 'lang'), 'en');
    await asked.page.getByText('You are signing in to Engelsk app').waitFor();
    await asked.context.close();

    // The browser's Accept-Language.
    const english = await openSignIn({ lang: 'en', device: 'phone' });
    assert.equal(await english.page.getAttribute('html', 'lang'), 'en');
    await english.page.getByLabel('Member number or username').waitFor();
    await english.context.close();
  });

  test('the error summary links to its field; the show-password button; visible focus', async () => {
    const { context, page } = await openSignIn({ lang: 'nb', device: 'desktop' });
    // Keyboard focus is visible: a 3 px outline on the field and on the button.
    await page.keyboard.press('Tab'); // skip link
    assert.equal(await activeElement(page), 'skip');
    const outline = (selector: string) => page.locator(selector).evaluate((el) => {
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string } }).getComputedStyle(el);
      return `${style.outlineStyle} ${style.outlineWidth}`;
    });
    await page.getByLabel('Medlemsnummer eller brukernavn').focus();
    await page.keyboard.press('Tab');
    assert.equal(await activeElement(page), 'password');
    assert.equal(await outline('#password'), 'solid 3px');

    // The toggle: a real button with a name and a pressed state, for the password field only.
    const password = page.getByLabel('Passord', { exact: true });
    await password.fill('hemmelig passord');
    const toggle = page.getByRole('button', { name: 'Vis passord' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.equal(await toggle.getAttribute('aria-controls'), 'password');
    await toggle.focus();
    assert.equal(await outline('.show-password'), 'solid 3px');
    await page.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await password.getAttribute('type'), 'text');
    assert.equal(await password.inputValue(), 'hemmelig passord');
    await toggle.click();
    assert.equal(await password.getAttribute('type'), 'password');
    await toggle.click();

    // Submitted while shown: it is hidden again first; the summary link moves focus to the field.
    await page.getByRole('button', { name: 'Logg inn', exact: true }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel('Passord', { exact: true }).getAttribute('type'), 'password');
    assert.equal(await activeElement(page), 'error-summary');
    await page.getByRole('link', { name: 'Skriv inn medlemsnummer eller brukernavn og passord.' }).click();
    assert.equal(await activeElement(page), 'identifier');
    await context.close();
  });

  test('without JavaScript: a plain password field, the summary still first, and the sign-in works', async () => {
    const { context, page } = await openSignIn({ lang: 'nb', device: 'phone', javaScript: false });
    assert.equal(await page.getByRole('button', { name: 'Vis passord' }).count(), 0);
    assert.equal(await page.getByLabel('Passord', { exact: true }).getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Logg inn' }).click();
    await page.getByRole('alert').filter({ hasText: 'Skriv inn medlemsnummer eller brukernavn og passord.' }).waitFor();
    await page.getByLabel('Medlemsnummer eller brukernavn').fill(DEMO_MEMBER.username);
    await page.getByLabel('Passord', { exact: true }).fill(DEMO_MEMBER.password);
    await page.getByRole('button', { name: 'Logg inn' }).click();
    await page.waitForURL(/\/demo\/callback/);
    await context.close();
  });

  test('"Avbryt og gå tilbake til Demo-app (medlem)": the app gets access_denied and says so', async () => {
    const { context, page } = await openSignIn({ lang: 'nb', device: 'phone' });
    const cancel = page.getByRole('button', { name: 'Avbryt og gå tilbake til Demo-app (medlem)' });
    await cancel.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/demo\/callback\?.*error=access_denied/);
    await page.getByRole('status').getByText('Innloggingen ble avbrutt. Appen fikk svaret «access_denied».').waitFor();
    await checkPage(page, 'demo-cancelled-nb', { languageSwitch: false });
    await context.close();
  });

  test('the demo app’s "third-party app" button shows the consent page, with what the app really gets', async () => {
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'desktop' });
    await page.goto(`${idp.issuer}/demo`);
    await checkPage(page, 'demo-nb');
    await page.getByRole('link', { name: 'Logg inn i en tredjepartsapp' }).click();
    await page.getByLabel('Medlemsnummer eller brukernavn').fill(DEMO_MEMBER.username);
    await page.getByLabel('Passord', { exact: true }).fill(DEMO_MEMBER.password);
    await page.getByRole('button', { name: 'Logg inn' }).click();
    await page.getByRole('heading', { level: 1, name: 'Demo-tredjepartsapp ber om tilgang' }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'En fast, tilfeldig ID som er den samme hver gang du logger inn. Den sier ikke i seg selv hvem du er.' }).waitFor();
    assert.equal(await page.getByText(/anonym/i).count(), 0);
    await checkPage(page, 'demo-consent-nb');
    await page.getByRole('button', { name: 'Gi tilgang' }).click();
    await page.waitForURL(/\/demo\/callback/);
    await context.close();
  });

  test('the sign-in help: caseworkers, and the paper ballot is as valid as the online vote', async () => {
    const { context, page } = await openSignIn({ lang: 'nb', device: 'phone' });
    const help = page.getByRole('region', { name: 'Får du det ikke til?' });
    // No phone configured: the help does not tell anyone to call.
    await help.getByText('Alle saksbehandlere i HK kan sende deg et førstegangspassord på SMS. Kontakt oss på post@hk.no.').waitFor();
    assert.equal(await page.getByText(/ringer oss|ring oss/i).count(), 0);
    await help.getByText('Husk at papirstemmen er like gyldig som nettstemmen.', { exact: false }).waitFor();
    assert.equal(await help.getByRole('link', { name: 'valg@hk.no' }).getAttribute('href'), 'mailto:valg@hk.no');
    await context.close();
  });
});

describe('branding from the settings', () => {
  let idp: TestIdp;
  before(async () => {
    idp = await startIdp({ DEMO: 'true', BRAND_NAME: 'HK Testforbund', BRAND_COLOR: '#005a9c', BRAND_COLOR_DARK: '#003e6b', CONTACT_EMAIL: 'hjelp@test.example', CONTACT_PHONE: '23 06 40 00', CONTACT_PHONE_HOURS: '08:00-15:30' });
  });
  after(async () => {
    await idp?.close();
  });

  test('name, colours and contact address come from configuration, and still pass axe', async () => {
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'desktop' });
    await page.goto(`${idp.issuer}/demo/login?kind=member`);
    await page.waitForURL(/\/interaction\//);
    assert.equal(await page.title(), 'Logg inn – HK Testforbund');
    await page.locator('header').getByText('HK Testforbund').waitFor();
    const color = (selector: string, property: string) =>
      page.locator(selector).first().evaluate((el, p) => (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)[p], property);
    assert.equal(await color('button[type="submit"]', 'backgroundColor'), 'rgb(0, 90, 156)');
    assert.equal(await color('.links a', 'color'), 'rgb(0, 62, 107)');
    assert.equal(await page.getByRole('contentinfo').getByRole('link', { name: 'hjelp@test.example' }).getAttribute('href'), 'mailto:hjelp@test.example');
    // The phone: a tel: link in the footer and in the help, with the opening hours.
    const footer = page.getByRole('contentinfo');
    await footer.getByText('Trenger du hjelp? Ring oss på 23 06 40 00 (hverdager kl. 08.00–15.30) eller skriv til hjelp@test.example.').waitFor();
    assert.equal(await footer.getByRole('link', { name: '23 06 40 00' }).getAttribute('href'), 'tel:+4723064000');
    const help = page.getByRole('region', { name: 'Får du det ikke til?' });
    await help.getByText('Ring oss på 23 06 40 00 (hverdager kl. 08.00–15.30), så kan alle saksbehandlere i HK sende deg et førstegangspassord på SMS.').waitFor();
    assert.equal(await help.getByRole('link', { name: '23 06 40 00' }).getAttribute('href'), 'tel:+4723064000');
    await screenshot(page, 'brand-member-login-phone-nb-desktop');
    assert.deepEqual(await axeViolations(page), []);
    await page.setViewportSize(viewports.phone);
    await screenshot(page, 'brand-member-login-nb-phone');
    await context.close();
  });
});
