// Staff for console tests: invited by the CLI (as an operator would), enrolled through the real
// enrolment pages with a TOTP code computed here (otpauth), signed in through the real sign-in pages.
import assert from 'node:assert/strict';
import { TOTP } from 'otpauth';
import { runCli } from '../../src/cli/run.ts';
import { Browser, decode, textOf, type Page } from './browser.ts';
import type { TestIdp } from './idp.ts';

export const STAFF_PASSWORD = 'saksbehandling-paa-telefon';

export type EnrolledStaff = { email: string; secret: string; recoveryCodes: string[] };

export const totpCode = (secret: string, at: number) => new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });

/** `hk-idp staff add`, then the link from the e-mail (delivered to the dev outbox). */
export async function inviteByCli(idp: TestIdp, email: string, role: 'caseworker' | 'admin'): Promise<string> {
  const out: string[] = [];
  const code = await runCli(['staff', 'add', '--email', email, '--name', `Test ${role}`, '--role', role], { db: idp.db, settings: idp.settings, out: (l) => out.push(l), err: (l) => out.push(l), actor: 'cli:test' });
  assert.equal(code, 0, out.join('\n'));
  await idp.outbox.deliverDue();
  const message = idp.devOutbox!.findLast((m) => m.to === email && m.kind === 'staff_invitation');
  assert.ok(message, `no invitation to ${email}`);
  const link = message.text.match(/https?:\/\/\S+\/console\/enrol\/[\w-]{43}/)?.[0];
  assert.ok(link, `no enrolment link in: ${message.text}`);
  return link.replace(idp.issuer, idp.base);
}

/** The key printed under the QR code ("Skriv inn denne nøkkelen: ABCD EFGH …"). */
export function secretOn(page: Page): string {
  const secret = textOf(page.html).match(/nøkkelen: ([A-Z2-7 ]+)/)?.[1]?.replace(/\s/g, '');
  assert.ok(secret, `no key on the page:\n${page.html}`);
  return secret;
}

export async function enrol(idp: TestIdp, link: string, now: () => number): Promise<EnrolledStaff & { page: Page }> {
  const browser = new Browser();
  const form = await browser.go(link);
  assert.equal(form.status, 200);
  const totpPage = await browser.submit(form, { password: STAFF_PASSWORD, confirm: STAFF_PASSWORD });
  assert.match(totpPage.html, /<img class="qr" src="data:image\/svg\+xml;base64,/);
  const secret = secretOn(totpPage);
  const done = await browser.submit(totpPage, { code: totpCode(secret, now()) });
  assert.equal(done.status, 200, textOf(done.html));
  const recoveryCodes = [...done.html.matchAll(/<code>([a-z0-9]{5}-[a-z0-9]{5})<\/code>/g)].map((m) => decode(m[1]!));
  assert.equal(recoveryCodes.length, 10);
  const email = textOf(form.html).match(/Brukernavnet ditt er (\S+)\./)![1]!;
  return { email, secret, recoveryCodes, page: done };
}

/** From /console/login to the code step: the page asking for the 6-digit code. */
export async function passwordStep(idp: TestIdp, browser: Browser, email: string, password = STAFF_PASSWORD): Promise<Page> {
  const login = await browser.go(`${idp.base}/console/login`);
  assert.match(login.url, /\/interaction\//);
  return browser.submit(login, { email, password });
}

/** A whole sign-in; returns the page after the code (the console's member search when it worked). */
export async function signInToConsole(idp: TestIdp, browser: Browser, staff: EnrolledStaff, code: string): Promise<Page> {
  const codePage = await passwordStep(idp, browser, staff.email);
  assert.match(codePage.html, /name="code"/, textOf(codePage.html));
  return browser.submit(codePage, { code });
}
