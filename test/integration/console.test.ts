// The staff console over HTTP, for its security properties: no access with a password alone, the
// amr check, TOTP replay refused, CSRF on every action, idle and maximum session age (an injected
// clock), caseworkers kept out of admin pages, the per-caseworker daily cap. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { latestAudit } from '../../src/audit/audit.ts';
import { digestOf } from '../../src/security/digest.ts';
import { findStaffByEmail } from '../../src/staff/staff.ts';
import { createMember } from '../support/accounts.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { replaceFlow, savedFlow, uidOf } from '../support/flow-state.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { CALLBACK, registerRp } from '../support/rp.ts';
import { enrol, inviteByCli, passwordStep, secretOn, signInToConsole, totpCode, type EnrolledStaff } from '../support/staff.ts';

const MEMBER_PASSWORD = 'fjordtur-til-lofoten';

/** The hidden form token of the first form on `page` posting to `action`. */
function csrfOn(page: Page, action: RegExp): string {
  const form = [...page.html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((f) => action.test(decode(f[1]!)));
  assert.ok(form, `no form ${action} on the page`);
  return decode(form[2]!.match(/name="csrf" value="([^"]*)"/)![1]!);
}

describe('staff console', () => {
  let idp: TestIdp;
  // The server's clock runs `offset` ms ahead of the real one (TOTP steps, session idle and age).
  let offset = 0;
  const now = () => Date.now() + offset;
  let caseworker: EnrolledStaff;
  let admin: EnrolledStaff;
  /** A fresh TOTP step for each sign-in: the clock moves on 30 s, and the code is the one of that moment. */
  const nextCode = (staff: EnrolledStaff) => {
    offset += 30_000;
    return totpCode(staff.secret, now());
  };

  before(async () => {
    idp = await startIdp({ CONSOLE_SMS_PER_CASEWORKER_DAY: '2' }, { now, outboxIntervalMs: 0 });
    caseworker = await enrol(idp, await inviteByCli(idp, 'kari@hk.example', 'caseworker'), now);
    admin = await enrol(idp, await inviteByCli(idp, 'ola@hk.example', 'admin'), now);
  });
  after(() => idp.close());

  test('the console client is registered at start, for staff only', async () => {
    const client = (await idp.db('clients').where({ client_id: 'hk-console' }).first())!;
    assert.equal(client.login, 'staff');
    assert.deepEqual(JSON.parse(client.redirect_uris), [`${idp.issuer}/console/callback`]);
  });

  test('a password alone opens nothing: the code step follows, and the console has no session', async () => {
    const browser = new Browser();
    const codePage = await passwordStep(idp, browser, caseworker.email);
    assert.match(codePage.html, /name="code"/);
    const members = await browser.request(`${idp.base}/console/members`);
    assert.equal(members.status, 303);
    assert.equal(new URL(members.location!).pathname, '/console');
    // A wrong code does not sign in either.
    const wrong = await browser.submit(codePage, { code: '000000' === totpCode(caseworker.secret, now()) ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.match(textOf(wrong.html), /Koden stemmer ikke/);
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303);
  });

  test('a wrong password never reaches the code step, and is throttled like a member sign-in', async () => {
    const browser = new Browser();
    const page = await passwordStep(idp, browser, caseworker.email, 'feil-passord-helt-feil');
    assert.equal(page.status, 400);
    assert.doesNotMatch(page.html, /name="code"/);
    assert.match(textOf(page.html), /Feil e-post eller passord/);
    const unknown = await passwordStep(idp, browser, 'ingen@hk.example');
    assert.match(textOf(unknown.html), /Feil e-post eller passord/);
  });

  test('both steps are throttled like a member sign-in: passwords and codes on counters of their own', async () => {
    const staff = await enrol(idp, await inviteByCli(idp, 'throttle@hk.example', 'caseworker'), now);
    for (let i = 0; i < 5; i++) await passwordStep(idp, new Browser(), staff.email, 'feil-passord-helt-feil');
    const locked = await passwordStep(idp, new Browser(), staff.email);
    assert.doesNotMatch(locked.html, /name="code"/, 'the right password is refused while locked');
    assert.match(textOf(locked.html), /For mange forsøk/);
    offset += 20 * 60_000;
    const browser = new Browser();
    const codePage = await passwordStep(idp, browser, staff.email);
    assert.match(codePage.html, /name="code"/, 'the wait is over');
    const wrong = totpCode(staff.secret, now()) === '000000' ? '111111' : '000000';
    let page = codePage;
    for (let i = 0; i < 5; i++) page = await browser.submit(page, { code: wrong });
    // The next step's code (accepted within ±1 step), so only the lock can refuse it.
    const refused = await browser.submit(page, { code: totpCode(staff.secret, now() + 30_000) });
    assert.match(textOf(refused.html), /For mange forsøk/, 'the right code is refused while locked');
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303);
    offset += 20 * 60_000;
    const after = await browser.submit(refused, { code: totpCode(staff.secret, now()) });
    assert.equal(new URL(after.url).pathname, '/console/members');
  });

  test('guessing the enrolment code is throttled', async () => {
    const link = await inviteByCli(idp, 'guess@hk.example', 'caseworker');
    const browser = new Browser();
    let page = await browser.submit(await browser.go(link), { password: 'gjettelek-med-koder-hele-dagen', confirm: 'gjettelek-med-koder-hele-dagen' });
    const secret = secretOn(page);
    const wrong = totpCode(secret, now()) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) page = await browser.submit(page, { code: wrong });
    const refused = await browser.submit(page, { code: totpCode(secret, now()) });
    assert.match(textOf(refused.html), /For mange forsøk/);
    assert.equal((await findStaffByEmail(idp.db, 'guess@hk.example'))!.status, 'invited');
  });

  test('password + TOTP signs in; the ID token carries amr pwd+otp; the same code is refused a second time', async () => {
    const code = nextCode(caseworker);
    const first = new Browser();
    const members = await signInToConsole(idp, first, caseworker, code);
    assert.equal(members.status, 200, textOf(members.html));
    assert.match(new URL(members.url).pathname, /^\/console\/members$/);
    assert.match(textOf(members.html), /Logget inn som Test caseworker \(saksbehandler\)/);
    const staff = (await findStaffByEmail(idp.db, caseworker.email))!;
    const [started] = await latestAudit(idp.db, 1, { event: 'console.session_started' });
    assert.equal(started!.actor, `staff:${staff.id}`);

    const replay = await signInToConsole(idp, new Browser(), caseworker, code);
    assert.equal(replay.status, 400);
    assert.match(textOf(replay.html), /Koden stemmer ikke, eller den er allerede brukt/);
  });

  test('parallel sign-ins with one code: exactly one wins', async () => {
    // A staff member of its own: the four losers count four failures, and with an earlier failure of
    // a shared one the lock (after five) could close before the winner settles, and no one would win.
    const staff = await enrol(idp, await inviteByCli(idp, 'parallel@hk.example', 'caseworker'), now);
    const code = nextCode(staff);
    const browsers = Array.from({ length: 5 }, () => new Browser());
    const codePages = await Promise.all(browsers.map((b) => passwordStep(idp, b, staff.email)));
    const results = await Promise.all(codePages.map((page, i) => browsers[i]!.submit(page, { code })));
    assert.equal(results.filter((page) => new URL(page.url).pathname === '/console/members' && page.status === 200).length, 1);
  });

  test('a recovery code signs in once', async () => {
    const [code] = caseworker.recoveryCodes;
    assert.equal((await signInToConsole(idp, new Browser(), caseworker, code!)).status, 200);
    assert.equal((await signInToConsole(idp, new Browser(), caseworker, code!)).status, 400);
  });

  test('the console refuses an ID token without amr ["pwd", "otp"]', async () => {
    const staff = (await findStaffByEmail(idp.db, caseworker.email))!;
    // A stand-in for a sign-in page that forgot the second factor: a server of the test's own (same host,
    // so the browser sends the interaction cookie) finishes the interaction with amr ["pwd"] only.
    const stub = createServer((req, res) => {
      idp.provider.interactionFinished(req, res, { login: { accountId: staff.id, amr: ['pwd'] } }, { mergeWithLastSubmission: false }).catch(() => res.end());
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const browser = new Browser();
    const login = await browser.go(`${idp.base}/console/login`);
    const stubUrl = new URL(login.url);
    stubUrl.port = String((stub.address() as AddressInfo).port);
    const refused = await browser.go(stubUrl);
    stub.close();
    assert.equal(refused.status, 403);
    assert.match(textOf(refused.html), /Innloggingen ble avvist/);
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303);
    const [event] = await latestAudit(idp.db, 1, { event: 'console.session_refused' });
    assert.deepEqual(event!.detail, { reason: 'amr' });
  });

  test('every action needs the session form token (CSRF); without it nothing happens', async () => {
    const browser = new Browser();
    await signInToConsole(idp, browser, caseworker, nextCode(caseworker));
    const member = await createMember(idp, { mobile: '41234432' });
    const sent = idp.devOutbox!.length;
    const noToken = await browser.request(`${idp.base}/console/members/${member.id}/send`, { form: { csrf: 'forged' } });
    assert.equal(noToken.status, 403);
    const logout = await browser.request(`${idp.base}/console/logout`, { form: { csrf: '' } });
    assert.equal(logout.status, 403);
    await idp.outbox.deliverDue();
    assert.equal(idp.devOutbox!.length, sent, 'no SMS');
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 200, 'still signed in');
  });

  test('a caseworker finds a member (contact masked), sees events in plain words, sends a first-time password by SMS, capped per day', async () => {
    const browser = new Browser();
    await signInToConsole(idp, browser, caseworker, nextCode(caseworker));
    const member = await createMember(idp, { givenName: 'Kari', familyName: 'Telefon', mobile: '98765432', email: 'kari.telefon@example.org' });
    for (const query of [member.memberNumber!, 'kari telefon', 'kari.telefon@example.org', '987 65 432']) {
      const results = await browser.go(`${idp.base}/console/members?q=${encodeURIComponent(query)}`);
      const text = textOf(results.html);
      assert.match(text, new RegExp(`${member.memberNumber} Kari Telefon \\+47 ••• •• 432 k•••@example\\.org aktiv`), query);
      assert.doesNotMatch(results.html.split('<table>')[1]!, /98765432|kari\.telefon@/, 'the contact is masked');
    }
    const page = await browser.go(`${idp.base}/console/members/${member.id}`);
    assert.match(textOf(page.html), /Har brukernavn og passord Nei/);
    const confirm = await browser.go(`${idp.base}/console/members/${member.id}/send`);
    assert.match(textOf(confirm.html), /Send førstegangspassord på SMS til Kari Telefon på \+47 ••• •• 432\?/);
    const done = await browser.submit(confirm, {}, { action: /\/send$/ });
    assert.equal(done.status, 200, textOf(done.html));
    assert.match(textOf(done.html), /Førstegangspassordet er sendt på SMS til \+47 ••• •• 432/);
    assert.match(textOf(done.html), /Saksbehandler sendte førstegangspassord på SMS \d+\. \w+\. kl\. \d\d:\d\d — sendt/);
    await idp.outbox.deliverDue();
    const sms = idp.devOutbox!.findLast((m) => m.to === '+4798765432');
    assert.ok(sms && sms.channel === 'sms', 'the SMS reached the connector');
    assert.doesNotMatch(done.html, new RegExp(sms.text.match(/[a-z0-9]{4} [a-z0-9]{4} [a-z0-9]{4}/)![0]), 'the caseworker never sees the password');
    const staff = (await findStaffByEmail(idp.db, caseworker.email))!;
    const [audited] = await latestAudit(idp.db, 1, { event: 'caseworker.first_time_password_sent' });
    assert.match(audited!.actor!, new RegExp(`via staff:${staff.id}$`));

    // A failed order shows in plain words.
    await idp.db('audit_log').insert({ at: now(), event: 'first_time_password.ordered', account_id: member.id, detail: JSON.stringify({ channel: 'sms', sent: false, reason: 'contact_mismatch' }) });
    assert.match(textOf((await browser.go(`${idp.base}/console/members/${member.id}`)).html), /Bestilte førstegangspassord på SMS \d+\. \w+\. kl\. \d\d:\d\d — ikke sendt: mobilnummeret eller e-postadressen stemte ikke/);

    // The cap is 2 per caseworker per day (one was sent in this test, perhaps others before: count up to it).
    let capped: Page | undefined;
    for (let i = 0; i < 3 && !capped; i++) {
      const again = await browser.submit(await browser.go(`${idp.base}/console/members/${member.id}/send`), {}, { action: /\/send$/ });
      if (again.status === 409) capped = again;
    }
    assert.ok(capped);
    assert.match(textOf(capped.html), /du har sendt 2 førstegangspassord i dag/);
  });

  test('a caseworker signs a member out everywhere: every session ends, its apps get a back-channel logout, on record', async () => {
    const app = await registerRp(idp, { name: 'Uravstemning', backchannelLogoutUri: 'http://127.0.0.1:9/backchannel' });
    const member = await createMember(idp, { givenName: 'Per', familyName: 'Overalt', password: MEMBER_PASSWORD });
    const sessions = () => idp.db('oidc_store').where({ model: 'Session', account_id: member.id });
    // Signed in to the app on two devices.
    const devices = [new Browser(), new Browser()];
    for (const device of devices) {
      const { page } = await app.start(device);
      const done = await device.submit(page, { identifier: member.memberNumber!, password: MEMBER_PASSWORD }, { stopAt: CALLBACK });
      assert.ok(done.location?.startsWith(CALLBACK), textOf(done.html));
    }
    assert.equal((await sessions()).length, 2);

    const browser = new Browser();
    await signInToConsole(idp, browser, caseworker, nextCode(caseworker));
    const page = await browser.go(`${idp.base}/console/members/${member.id}`);
    assert.match(page.html, new RegExp(`href="/console/members/${member.id}/sign-out">Logg ut medlemmet overalt<`));
    const confirm = await browser.go(`${idp.base}/console/members/${member.id}/sign-out`);
    assert.match(textOf(confirm.html), /Logge ut Per Overalt overalt\? Medlemmet er logget inn i 2 økter nå/);
    assert.equal((await sessions()).length, 2, 'the confirmation page ends nothing');
    const forged = await browser.request(`${idp.base}/console/members/${member.id}/sign-out`, { form: { csrf: 'forged' } });
    assert.equal(forged.status, 403);
    assert.equal((await sessions()).length, 2, 'without the form token nothing ends');
    // A grant that outlives its session (offline_access) is no session, but "everywhere" ends it too.
    const offline = { payload: '{}', account_id: member.id, expires_at: Date.now() + 3600_000 };
    await idp.db('oidc_store').insert([
      { model: 'Grant', id: digestOf('offline-grant'), grant_id: null, grant_key: null, ...offline },
      { model: 'RefreshToken', id: 'offline-token', grant_id: 'offline-grant', grant_key: digestOf('offline-grant'), ...offline },
    ]);

    const done = await browser.submit(confirm, {}, { action: /\/sign-out$/ });
    assert.equal(done.status, 200, textOf(done.html));
    assert.match(textOf(done.html), /Medlemmet er logget ut overalt: 2 økter avsluttet/);
    assert.deepEqual(await sessions(), []);
    assert.deepEqual(await idp.db('oidc_store').where({ account_id: member.id }).whereNot({ model: 'Interaction' }).pluck('model'), [], 'no token of the member is left');
    const queued = await idp.db('backchannel_logouts').where({ account_id: member.id }).orderBy('id');
    assert.deepEqual(queued.map((row) => [row.client_id, row.reason]), [[app.clientId, 'staff'], [app.clientId, 'staff']]);
    const staff = (await findStaffByEmail(idp.db, caseworker.email))!;
    const ended = await latestAudit(idp.db, 2, { event: 'session.ended' });
    assert.deepEqual(ended.map((row) => [row.accountId, row.actor, row.detail.reason, row.detail.notified]), [[member.id, `staff:${staff.id}`, 'staff', 1], [member.id, `staff:${staff.id}`, 'staff', 1]]);
    const [action] = await latestAudit(idp.db, 1, { event: 'console.member_signed_out' });
    assert.deepEqual([action!.accountId, action!.actor, action!.detail.sessions], [member.id, `staff:${staff.id}`, 2]);

    // The member's device must sign in again; a second click finds nothing left to end.
    const again = await app.start(devices[0]!);
    assert.ok(!again.page.location?.startsWith(CALLBACK), 'no session left to skip the password');
    const twice = await browser.submit(await browser.go(`${idp.base}/console/members/${member.id}/sign-out`), {}, { action: /\/sign-out$/ });
    assert.match(textOf(twice.html), /Medlemmet var ikke logget inn noe sted/);
    assert.equal((await idp.db('backchannel_logouts').where({ account_id: member.id })).length, 2, 'nothing more queued');
  });

  test('signing out ends the console session and the staff member\'s sessions at hk-idp', async () => {
    const browser = new Browser();
    const members = await signInToConsole(idp, browser, caseworker, nextCode(caseworker));
    const staff = (await findStaffByEmail(idp.db, caseworker.email))!;
    assert.ok(await idp.db('oidc_store').where({ model: 'Session', account_id: staff.id }).first(), 'a provider session while signed in');
    const out = await browser.submit(members, {}, { action: /\/console\/logout$/ });
    assert.match(textOf(out.html), /Du er logget ut av konsollen/);
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303);
    assert.equal(await idp.db('oidc_store').where({ model: 'Session', account_id: staff.id }).first(), undefined);
  });

  test('a caseworker cannot reach admin pages or actions', async () => {
    const browser = new Browser();
    const members = await signInToConsole(idp, browser, caseworker, nextCode(caseworker));
    assert.doesNotMatch(members.html, /href="\/console\/clients"/);
    for (const path of ['/console/clients', '/console/business-users', '/console/staff', '/console/audit']) {
      assert.equal((await browser.request(`${idp.base}${path}`)).status, 403, path);
    }
    const csrf = csrfOn(members, /\/console\/logout/);
    const invite = await browser.request(`${idp.base}/console/staff`, { form: { csrf, email: 'ny@hk.example', name: 'Ny', role: 'admin' } });
    assert.equal(invite.status, 403);
    assert.equal(await findStaffByEmail(idp.db, 'ny@hk.example'), undefined);
    const role = await browser.request(`${idp.base}/console/staff/role`, { form: { csrf, email: caseworker.email, role: 'admin' } });
    assert.equal(role.status, 403);
    assert.equal((await findStaffByEmail(idp.db, caseworker.email))!.role, 'caseworker');
  });

  test('sessions end after 30 minutes idle, and after 8 hours however active', async () => {
    const browser = new Browser();
    await signInToConsole(idp, browser, caseworker, nextCode(caseworker));
    offset += 29 * 60_000;
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 200, '29 minutes idle is fine');
    offset += 31 * 60_000;
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303, '31 minutes idle ends it');

    const active = new Browser();
    await signInToConsole(idp, active, caseworker, nextCode(caseworker));
    for (let minutes = 20; minutes < 8 * 60; minutes += 20) {
      offset += 20 * 60_000;
      assert.equal((await active.request(`${idp.base}/console/members`)).status, 200, `after ${minutes} minutes`);
    }
    offset += 20 * 60_000;
    assert.equal((await active.request(`${idp.base}/console/members`)).status, 303, 'past 8 hours');
  });

  test('disabling a staff member ends their console session at once', async () => {
    const browser = new Browser();
    await signInToConsole(idp, browser, admin, nextCode(admin));
    const staffPage = await browser.go(`${idp.base}/console/staff`);
    assert.equal(staffPage.status, 200);
    const other = new Browser();
    await signInToConsole(idp, other, caseworker, nextCode(caseworker));
    const disabled = await browser.submit(staffPage, { email: caseworker.email }, { action: /\/console\/staff\/disable/ });
    assert.match(textOf(disabled.html), /Utført for kari@hk\.example/);
    assert.equal((await other.request(`${idp.base}/console/members`)).status, 303);
    const enabled = await browser.submit(disabled, { email: caseworker.email }, { action: /\/console\/staff\/enable/ });
    assert.equal(enabled.status, 200);
    const [event] = await latestAudit(idp.db, 1, { event: 'staff.enabled' });
    assert.equal(event!.actor, `staff:${(await findStaffByEmail(idp.db, admin.email))!.id}`);
  });

  const signIns = async () => (await idp.db('audit_log').where({ event: 'staff.sign_in.succeeded' })).length;

  test('a code after the password step\'s state expired signs no one in; the sign-in starts again at the password', async () => {
    const browser = new Browser();
    const codePage = await passwordStep(idp, browser, caseworker.email);
    const uid = uidOf(codePage.url);
    const state = await savedFlow(idp, uid);
    assert.deepEqual([state.flow, state.step], ['console-sign-in', 'second-factor']);
    const before = await signIns();
    // The state expires with the interaction; the interaction's row lives on a little (the provider's tolerance).
    offset = state.expiresAt - Date.now();
    const page = await browser.submit(codePage, { code: totpCode(caseworker.secret, now()) });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Dette steget er ikke lenger gyldig.*Start på nytt/);
    assert.equal(await signIns(), before);
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303);
    const again = await browser.go(new URL(`/interaction/${uid}`, codePage.url));
    assert.match(again.html, /name="password"/);
    assert.doesNotMatch(again.html, /name="code"/);
  });

  test('a code with another flow\'s state (a member\'s choosing credentials) signs no one in', async () => {
    const browser = new Browser();
    const codePage = await passwordStep(idp, browser, caseworker.email);
    const uid = uidOf(codePage.url);
    const { expiresAt, staffId } = await savedFlow(idp, uid);
    const before = await signIns();
    // No request of a staff sign-in saves this; only a state put there by hand can be another flow's.
    await replaceFlow(idp, uid, { flow: 'set-credentials', step: 'choose', expiresAt, memberNumber: '12345678', firstLogin: { accountId: String(staffId), firstTimePasswordId: 'x' } });
    const page = await browser.submit(codePage, { code: nextCode(caseworker) });
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /Dette steget er ikke lenger gyldig/);
    assert.equal(await signIns(), before);
    assert.equal((await browser.request(`${idp.base}/console/members`)).status, 303);
  });
});
