// A member orders a first-time password (by SMS and by e-mail), reads it from the outbox, signs in
// with it, chooses a username and password and arrives at the app; later signs in with the username.
// In Chromium, by labels and button names; every page checked (axe, screenshots, 320 px, 200 %).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { t, type TextKey } from '../../interactions/i18n.ts';
import { createMember } from '../support/accounts.ts';
import { type BrowserApp, checkPage, type Device, finishSignIn, type Lang, launchChromium, messageTo, openWindow, registerBrowserApp, startSignIn, textsIn } from '../support/chromium.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';

const NEW_PASSWORD = 'sommerferie på Senja med kajakk';
/** A text with its "#" as any number. */
const withNumber = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('#', '\\d+'));
const firstTimePasswordIn = (text: string) => /\b[a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4}\b/.exec(text)![0];

describe('member first-time password in Chromium', () => {
  let idp: TestIdp;
  let browser: Browser;
  let rp: BrowserApp;
  // The server's clock runs `offset` ms ahead (the wait before sending again is measured by it).
  let offset = 0;
  before(async () => {
    // The send limit of production (3 per recipient per 15 minutes), for the "ordered several times" note.
    idp = await startIdp({ SEND_LIMIT_RECIPIENT_15MIN: '3' }, { now: () => Date.now() + offset });
    rp = await registerBrowserApp(idp, { name: 'Uravstemning', logoUri: `${idp.issuer}/static/logo.svg` });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await idp?.close();
  });

  async function signInWithPassword(lang: Lang, device: Device, identifier: string, password: string) {
    const { context, page } = await openWindow(browser, { lang, device });
    const signIn = await startSignIn(page, rp);
    await page.getByLabel(t(lang, 'login.identifier')).fill(identifier);
    await page.getByLabel(t(lang, 'login.password'), { exact: true }).fill(password);
    await page.getByRole('button', { name: t(lang, 'login.submit') }).click();
    const claims = await finishSignIn(page, rp, signIn);
    await context.close();
    return claims;
  }

  const errorSummaryHasFocus = (page: Page) => page.evaluate('document.activeElement?.classList.contains("error-summary")');

  for (const [lang, device, channel] of [['nb', 'desktop', 'sms'], ['en', 'phone', 'email']] as const) {
    test(`${lang}, ${device}, by ${channel}: order → first login → choose username and password → app; then the username signs in`, async () => {
      const T = textsIn(lang);
      const member = await createMember(idp);
      const { context, page } = await openWindow(browser, { lang, device });
      const signIn = await startSignIn(page, rp);

      // The sign-in page says which app, with its logo.
      await page.getByText(T('layout.signing_in_to', { client: 'Uravstemning' })).waitFor();
      assert.equal(await page.locator('.client img').getAttribute('src'), `${idp.issuer}/static/logo.svg`);
      assert.ok(await page.locator('.client img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the app logo loads');
      await page.getByRole('link', { name: T('login.order_link') }).click();

      // Ordering: nothing filled in is an error on each field, announced and focused.
      await page.getByRole('heading', { level: 1, name: T('ftp.order.heading') }).waitFor();
      await checkPage(page, `ftp-order-${lang}`);
      await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();
      await page.getByRole('alert').waitFor();
      assert.equal(await errorSummaryHasFocus(page), true, 'focus on the error summary');
      await checkPage(page, `ftp-order-error-${lang}`);
      assert.equal(await page.getByLabel(T('ftp.order.member_number'), { exact: true }).getAttribute('aria-invalid'), 'true');

      await page.getByLabel(T('ftp.order.member_number'), { exact: true }).fill(member.memberNumber!);
      const mobile = page.getByLabel(T('ftp.order.mobile'), { exact: true });
      const email = page.getByLabel(T('ftp.order.email'), { exact: true });
      if (channel === 'email') {
        await page.getByRole('radio', { name: T('ftp.order.channel.email') }).check();
        assert.equal(await mobile.isVisible(), false, 'only the chosen channel’s field shows');
        assert.equal(await email.getAttribute('autocomplete'), 'email');
        await email.fill(member.email!.toUpperCase());
      } else {
        assert.equal(await email.isVisible(), false, 'only the chosen channel’s field shows');
        assert.equal(await mobile.getAttribute('type'), 'tel');
        assert.equal(await mobile.getAttribute('autocomplete'), 'tel');
        await mobile.fill(member.mobile!.replace(/^\+47/, '')); // as people type it
      }
      await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();

      await page.getByRole('heading', { level: 1, name: T('ftp.sent.heading') }).waitFor();
      await checkPage(page, `ftp-sent-${lang}`);
      const message = await messageTo(idp, channel === 'sms' ? member.mobile! : member.email!);
      const firstTimePassword = firstTimePasswordIn(message.text);

      await page.getByRole('link', { name: T('ftp.sent.next') }).click();
      await page.getByRole('heading', { level: 1, name: T('first_login.heading') }).waitFor();
      const memberNumber = page.getByLabel(T('first_login.member_number'), { exact: true });
      assert.equal(await memberNumber.inputValue(), member.memberNumber, 'the member number typed before is filled in');
      assert.equal(await page.getByLabel(T('first_login.password')).getAttribute('autocomplete'), 'one-time-code');
      await checkPage(page, `first-login-${lang}`);

      // A wrong first-time password: said so, the member number kept, the password field empty.
      await page.getByLabel(T('first_login.password')).fill('abcd efgh jkmn');
      await page.getByRole('button', { name: T('first_login.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('first_login.failed') }).waitFor();
      assert.equal(await memberNumber.inputValue(), member.memberNumber);
      assert.equal(await page.getByLabel(T('first_login.password')).inputValue(), '');
      await checkPage(page, `first-login-error-${lang}`);

      await page.getByLabel(T('first_login.password')).fill(firstTimePassword.toUpperCase());
      await page.getByRole('button', { name: T('first_login.submit') }).click();

      // Choose username and password: a refused password keeps the username.
      await page.getByRole('heading', { level: 1, name: T('credentials.heading') }).waitFor();
      await checkPage(page, `credentials-${lang}`);
      const username = `kari.${member.memberNumber}`;
      await page.getByLabel(T('credentials.username')).fill(username);
      await page.getByLabel(T('credentials.password'), { exact: true }).fill('kort');
      await page.getByLabel(T('credentials.confirmation')).fill('kort');
      await page.getByRole('button', { name: T('credentials.submit') }).click();
      await page.getByRole('alert').filter({ hasText: T('password.problem.too_short', { min: idp.settings.passwordMinLength }) }).waitFor();
      assert.equal(await page.getByLabel(T('credentials.username')).inputValue(), username);
      assert.equal(await page.getByLabel(T('credentials.password'), { exact: true }).inputValue(), '');
      await checkPage(page, `credentials-error-${lang}`);

      await page.getByLabel(T('credentials.password'), { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel(T('credentials.confirmation')).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: T('credentials.submit') }).click();
      const claims = await finishSignIn(page, rp, signIn);
      assert.equal(claims.sub, member.id);
      await context.close();

      // From now on the username (or the member number) and the own password.
      assert.equal((await signInWithPassword(lang, device, username, NEW_PASSWORD)).sub, member.id);
    });
  }

  for (const lang of ['nb', 'en'] as const) {
    test(`${lang}: "send again" waits visibly, counting down; then a new first-time password is sent`, async () => {
      const T = textsIn(lang);
      const member = await createMember(idp);
      const { context, page } = await openWindow(browser, { lang, device: 'desktop' });
      await context.clock.install();
      await startSignIn(page, rp);
      await page.getByRole('link', { name: T('login.order_link') }).click();
      await page.getByLabel(T('ftp.order.member_number'), { exact: true }).fill(member.memberNumber!);
      await page.getByLabel(T('ftp.order.mobile'), { exact: true }).fill(member.mobile!);
      await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();
      await page.getByRole('heading', { level: 1, name: T('ftp.sent.heading') }).waitFor();
      const first = await messageTo(idp, member.mobile!);

      const resend = page.getByRole('button', { name: T('ftp.resend.submit') });
      assert.equal(await resend.isDisabled(), true, 'the button waits');
      // Sent anyway (as a browser without script would): refused, with the time left.
      await page.locator('form.resend').evaluate((form) => (form as unknown as { submit(): void }).submit());
      await page.getByRole('alert').filter({ hasText: withNumber(T('ftp.resend.too_soon', { seconds: '#' })) }).waitFor();
      await checkPage(page, `ftp-resend-too-soon-${lang}`);
      // The page counts down from what the server said is left; a busy machine may have moved both
      // clocks on by a second or two, so the numbers are read, not assumed.
      const note = page.locator('#resend-note');
      const shown = async () => Number(/\d+/.exec((await note.textContent()) ?? '')?.[0]);
      const left = Number(await note.getAttribute('data-wait'));
      assert.ok(left > 50 && left <= idp.settings.resendWait, `the page waits the rest of ${idp.settings.resendWait} s (${left})`);
      assert.ok((await shown()) <= left && (await shown()) > 50, 'the wait is shown');
      await page.clock.runFor(30_000);
      const later = await shown();
      assert.ok(later <= left - 30 && later > 0, `counted down (${left} → ${later})`);
      await page.clock.runFor(left * 1000);
      offset += idp.settings.resendWait * 1000;
      await page.getByText(T('ftp.resend.ready')).waitFor();
      assert.equal(await resend.isEnabled(), true);
      await resend.click();
      await page.getByText(T('ftp.sent.again', { valid: T('time.hours', { n: 24 }) })).waitFor();
      await checkPage(page, `ftp-sent-again-${lang}`);
      const second = await messageTo(idp, member.mobile!);
      assert.notEqual(firstTimePasswordIn(second.text), firstTimePasswordIn(first.text), 'a new first-time password was sent');
      await context.close();
    });
  }

  test('a first-time password typed into the ordinary sign-in form leads to choosing username and password', async () => {
    const T = textsIn('nb');
    const member = await createMember(idp);
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'phone' });
    const signIn = await startSignIn(page, rp);
    await page.getByRole('link', { name: T('login.order_link') }).click();
    await page.getByLabel(T('ftp.order.member_number'), { exact: true }).fill(member.memberNumber!);
    await page.getByLabel(T('ftp.order.mobile'), { exact: true }).fill(member.mobile!);
    await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();
    // The "sent" page has loaded before the history is walked back (going back mid-navigation fails).
    await page.getByRole('heading', { level: 1, name: T('ftp.sent.heading') }).waitFor();
    const firstTimePassword = firstTimePasswordIn((await messageTo(idp, member.mobile!)).text);
    // Back to the sign-in page, where members will type it.
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: T('ftp.order.heading') }).waitFor();
    await page.goBack();
    await page.getByLabel(T('login.identifier')).fill(member.memberNumber!);
    await page.getByLabel(T('login.password'), { exact: true }).fill(firstTimePassword);
    await page.getByRole('button', { name: T('login.submit') }).click();
    await page.getByRole('heading', { level: 1, name: T('credentials.heading') }).waitFor();
    await page.getByLabel(T('credentials.username')).fill(`kari.${member.memberNumber}`);
    await page.getByLabel(T('credentials.password'), { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel(T('credentials.confirmation')).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: T('credentials.submit') }).click();
    assert.equal((await finishSignIn(page, rp, signIn)).sub, member.id);
    await context.close();
  });

  test('without JavaScript: both contact fields show, and sending again too early is refused with the time left', async () => {
    const member = await createMember(idp);
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'phone', javaScript: false });
    await startSignIn(page, rp);
    await page.getByRole('link', { name: 'Jeg vil ha eller har glemt passord' }).click();
    assert.equal(await page.getByLabel('Mobilnummer', { exact: true }).isVisible(), true);
    assert.equal(await page.getByLabel('E-postadresse', { exact: true }).isVisible(), true);
    await page.getByLabel('Medlemsnummer', { exact: true }).fill(member.memberNumber!);
    await page.getByRole('radio', { name: 'E-post' }).check();
    await page.getByLabel('E-postadresse', { exact: true }).fill(member.email!);
    await page.getByRole('button', { name: 'Send førstegangspassord', exact: true }).click();
    await page.getByRole('heading', { name: 'Sjekk SMS eller e-post' }).waitFor();
    await page.getByText(`Du ba om førstegangspassord på e-post til ${member.email}.`).waitFor();
    await messageTo(idp, member.email!);

    const resend = page.getByRole('button', { name: 'Send førstegangspassord på nytt' });
    assert.equal(await resend.isEnabled(), true, 'without script the server says when');
    await resend.click();
    await page.getByRole('alert').filter({ hasText: /Førstegangspassordet kan fortsatt være på vei\. Vent \d+ sekunder før du ber om et nytt\./ }).waitFor();
    // The switch leads to the GET page of the same step.
    assert.match((await page.locator('a.lang').getAttribute('href'))!, /\/first-time-password\/sent\?lang=en$/);
    await page.getByRole('link', { name: 'Change language to English' }).click();
    await page.getByRole('heading', { name: 'Check your SMS or e-mail' }).waitFor();
    await idp.outbox.deliverDue();
    assert.equal(idp.devOutbox!.filter((m) => m.to === member.email).length, 1, 'nothing more was sent');
    await context.close();
  });

  for (const lang of ['nb', 'en'] as const) {
    test(`${lang}: a first-time password that ran out while choosing credentials says what to do next`, async () => {
      const T = (key: TextKey) => t(lang, key);
      const member = await createMember(idp);
      const { context, page } = await openWindow(browser, { lang, device: 'phone' });
      await startSignIn(page, rp);
      await page.getByRole('link', { name: T('login.order_link') }).click();
      await page.getByLabel(T('ftp.order.member_number'), { exact: true }).fill(member.memberNumber!);
      await page.getByLabel(T('ftp.order.mobile'), { exact: true }).fill(member.mobile!);
      await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();
      const firstTimePassword = firstTimePasswordIn((await messageTo(idp, member.mobile!)).text);
      await page.getByRole('link', { name: T('ftp.sent.next') }).click();
      await page.getByLabel(T('first_login.password')).fill(firstTimePassword);
      await page.getByRole('button', { name: T('first_login.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('credentials.heading') }).waitFor();

      await idp.db('first_time_passwords').where({ account_id: member.id }).update({ expires_at: Date.now() + offset - 1 });
      await page.getByLabel(T('credentials.username')).fill(`kari.${member.memberNumber}`);
      await page.getByLabel(T('credentials.password'), { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel(T('credentials.confirmation')).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: T('credentials.submit') }).click();
      await page.getByRole('heading', { level: 1, name: T('credentials.expired.title') }).waitFor();
      await checkPage(page, `credentials-expired-${lang}`);
      await page.getByRole('link', { name: T('first_login.order_link') }).click();
      await page.getByRole('heading', { level: 1, name: T('ftp.order.heading') }).waitFor();
      await context.close();
    });
  }

  for (const lang of ['nb', 'en'] as const) {
    test(`${lang}: the countdown says its last second in the singular ("1 sekund", "1 second"), by Intl.PluralRules in the page`, async () => {
      const T = textsIn(lang);
      const member = await createMember(idp);
      const { context, page } = await openWindow(browser, { lang, device: 'desktop' });
      await context.clock.install();
      await startSignIn(page, rp);
      await page.getByRole('link', { name: T('login.order_link') }).click();
      await page.getByLabel(T('ftp.order.member_number'), { exact: true }).fill(member.memberNumber!);
      await page.getByLabel(T('ftp.order.mobile'), { exact: true }).fill(member.mobile!);
      await page.getByRole('button', { name: T('ftp.order.submit'), exact: true }).click();
      await page.getByRole('heading', { level: 1, name: T('ftp.sent.heading') }).waitFor();
      // Paused, so the countdown moves only as the test says however loaded the machine is; read with
      // a plain evaluate (Playwright's own waiting needs the page's timers, which are now paused).
      await page.clock.pauseAt(Date.now() + 1_000);
      const note = async () => String(await page.evaluate("document.getElementById('resend-note').textContent"));
      const shown = Number(/\d+/.exec(await note())![0]);
      assert.ok(shown > 2, `counting down from ${shown}`);
      assert.equal(await note(), T('ftp.resend.wait', { seconds: shown }));
      await page.clock.runFor((shown - 2) * 1000);
      assert.equal(await note(), lang === 'nb' ? 'Om 2 sekunder kan du få det sendt på nytt.' : 'In 2 seconds you can have it sent again.');
      await page.clock.runFor(1_000);
      assert.equal(await note(), lang === 'nb' ? 'Om 1 sekund kan du få det sendt på nytt.' : 'In 1 second you can have it sent again.');
      await page.clock.runFor(1_000);
      assert.equal(await note(), T('ftp.resend.ready'));
      await context.close();
    });
  }

  test('switching language keeps the member number, the channel and the e-mail typed, never a password', async () => {
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'phone' });
    await startSignIn(page, rp);
    await page.getByRole('link', { name: 'Jeg vil ha eller har glemt passord' }).click();
    await page.getByLabel('Medlemsnummer', { exact: true }).fill('1234567');
    await page.getByRole('radio', { name: 'E-post' }).check();
    await page.getByLabel('E-postadresse', { exact: true }).fill('kari@example.org');
    await page.getByRole('link', { name: 'Change language to English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Order a first-time password' }).waitFor();
    assert.equal(await page.getByLabel('Member number', { exact: true }).inputValue(), '1234567');
    assert.equal(await page.getByRole('radio', { name: 'E-mail' }).isChecked(), true);
    assert.equal(await page.getByLabel('E-mail address', { exact: true }).inputValue(), 'kari@example.org');
    assert.equal(await page.getByLabel('Mobile number', { exact: true }).isVisible(), false, 'the chosen channel’s field shows');

    // The first-login page: the member number is kept, the first-time password is not.
    await page.getByRole('link', { name: 'I have received a new password/PIN' }).first().click();
    await page.getByLabel('Member number', { exact: true }).fill('7654321');
    await page.getByLabel('First-time password').fill('abcd efgh jkmn');
    await page.getByRole('link', { name: 'Bytt språk til norsk' }).click();
    await page.getByRole('heading', { level: 1, name: 'Logg inn med førstegangspassord' }).waitFor();
    assert.equal(await page.getByLabel('Medlemsnummer', { exact: true }).inputValue(), '7654321');
    assert.equal(await page.getByLabel('Førstegangspassord').inputValue(), '');
    // Kept once: a reload shows the page as the server sends it.
    await page.reload();
    assert.equal(await page.getByLabel('Medlemsnummer', { exact: true }).inputValue(), '');
    await context.close();
  });

  test('a 4th order in one sign-in says to use the last first-time password, and nothing about sending', async () => {
    const member = await createMember(idp);
    const { context, page } = await openWindow(browser, { lang: 'nb', device: 'desktop' });
    await startSignIn(page, rp);
    await page.getByRole('link', { name: 'Jeg vil ha eller har glemt passord' }).click();
    for (let order = 1; order <= 4; order++) {
      offset += idp.settings.resendWait * 1000;
      await page.getByLabel('Medlemsnummer', { exact: true }).fill(member.memberNumber!);
      await page.getByLabel('Mobilnummer', { exact: true }).fill(member.mobile!);
      await page.getByRole('button', { name: 'Send førstegangspassord', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Sjekk SMS eller e-post' }).waitFor();
      const many = page.getByRole('status').getByText('Har du bestilt flere ganger? Bruk det siste førstegangspassordet du fikk.');
      assert.equal(await many.count(), order === 4 ? 1 : 0, `order ${order}`);
      if (order < 4) await page.getByRole('link', { name: 'Endre medlemsnummer, mobilnummer eller e-postadresse' }).click();
    }
    assert.equal(await page.getByText(/Vi har sendt/).count(), 0);
    await checkPage(page, 'ftp-sent-many-nb');
    await context.close();
  });
});
