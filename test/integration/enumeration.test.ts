// Nothing tells whether a member number, username or business e-mail exists: not the status, the
// page, the headers or the cookies, and not grossly the time. Attempts are untrottled (the limits are
// raised and checked), measured with the production bcrypt cost in pairs whose order is random, and a
// case fails only on a gross difference (a missing decoy comparison is about a whole bcrypt). Small
// differences are measured by `npm run check:timing` (scripts/check-timing.ts), not here.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { Browser, type Page } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { registerRp, type Rp } from '../support/rp.ts';
import { grossDifference } from '../support/timing.ts';

const PASSWORD = 'fjordtur-til-lofoten';

let idp: TestIdp;
let members: Rp;
let portal: Rp;
before(async () => {
  // No attempt here may be throttled: a throttled answer is another path than the one under test.
  // No worker ticks either: fulfilling the orders made here would land in some timings and not others.
  idp = await startIdp({ BCRYPT_COST: '10', SIGNIN_FREE_FAILURES: '100', RESEND_WAIT: '0' }, { outboxIntervalMs: 0 });
  members = await registerRp(idp);
  portal = await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' });
});
after(async () => {
  const throttled = await idp.db('audit_log').where({ event: 'sign_in.throttled' }).count({ n: '*' });
  await idp.close();
  assert.equal(Number(throttled[0]!.n), 0, 'every measured attempt was an ordinary one');
});

/** A sign-in form in a fresh browser, and a function that posts it with other fields. */
async function form(app: Rp) {
  const browser = new Browser();
  const { page } = await app.start(browser);
  const action = new URL(/<form method="post" action="([^"]+)"/.exec(page.html)![1]!, page.url).href;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
  return (fields: Record<string, string>) => browser.request(action, { form: { csrf, ...fields } });
}

// Headers whose values legitimately vary with the moment, the request or the echoed identifier's length.
const VARYING = new Set(['date', 'content-length', 'set-cookie', 'x-request-id']);

/** Everything a client sees of an answer, without what belongs to the interaction or echoes the input. */
const comparable = (page: Page) => ({
  status: page.status,
  location: page.location,
  cookies: page.headers.getSetCookie().map((c) => c.split('=')[0]).sort(),
  headers: [...page.headers].filter(([name]) => !VARYING.has(name)).sort(),
  html: page.html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '').replace(/(name="(identifier|email)"[^>]*?) value="[^"]*"/g, '$1'),
});

async function assertAlike(cases: Record<string, () => Promise<Page>>) {
  const [first, ...rest] = Object.entries(cases);
  const reference = comparable(await first![1]());
  for (const [name, run] of rest) assert.deepEqual(comparable(await run()), reference, `${name} answers like ${first![0]}`);
}

/** Each [known, other] pair of case names: `other` must not take grossly more or less time than `known`. */
async function assertNoGrossDifference(cases: Record<string, () => Promise<unknown>>, pairs: [string, string][]) {
  for (const [known, other] of pairs) {
    const { gross, shift, reference } = await grossDifference(cases[known]!, cases[other]!);
    assert.ok(!gross, `${other} differs from ${known} by ${shift} ms (${known} takes ${reference} ms)`);
  }
}

test('member sign-in: known and unknown member numbers and usernames, inactive and passwordless members answer alike', async () => {
  // Two known accounts, so neither comes near the (raised) failure limit.
  const known = await createMember(idp, { password: PASSWORD });
  await createMember(idp, { password: PASSWORD, username: 'kjent.medlem' });
  const inactive = await createMember(idp, { password: PASSWORD, status: 'inactive' });
  const passwordless = await createMember(idp);
  const post = await form(members);
  const cases = {
    knownNumber: () => post({ identifier: known.memberNumber!, password: 'wrong-password-1' }),
    unknownNumber: () => post({ identifier: '77777777', password: 'wrong-password-1' }),
    knownUsername: () => post({ identifier: 'kjent.medlem', password: 'wrong-password-1' }),
    unknownUsername: () => post({ identifier: 'ukjent.medlem', password: 'wrong-password-1' }),
    inactive: () => post({ identifier: inactive.memberNumber!, password: PASSWORD }),
    noPassword: () => post({ identifier: passwordless.memberNumber!, password: 'wrong-password-1' }),
  };
  await assertAlike(cases);
  await assertNoGrossDifference(cases, [['knownNumber', 'unknownNumber'], ['knownUsername', 'unknownUsername'], ['knownNumber', 'inactive'], ['knownNumber', 'noPassword']]);
});

test('business sign-in: a known and an unknown e-mail answer alike', async () => {
  const user = await createBusinessUser(idp, { email: 'kjent@firma.example', password: PASSWORD });
  const post = await form(portal);
  const cases = {
    known: () => post({ email: user.email!, password: 'wrong-password-1' }),
    unknown: () => post({ email: 'ukjent@firma.example', password: 'wrong-password-1' }),
  };
  await assertAlike(cases);
  await assertNoGrossDifference(cases, [['known', 'unknown']]);
});

test('business code request: a known and an unknown address answer alike', async () => {
  const user = await createBusinessUser(idp, { email: 'kode@firma.example', mobile: '41239999' });
  const browser = new Browser();
  const { page } = await portal.start(browser);
  const request = await browser.go(new URL(/href="([^"]+\/business\/activate)"/.exec(page.html)![1]!, page.url));
  const csrf = /name="csrf" value="([^"]+)"/.exec(request.html)![1]!;
  const action = new URL(/action="([^"]+\/email)"/.exec(request.html)![1]!, request.url).href;
  const cases = {
    known: () => browser.request(action, { form: { csrf, email: user.email! } }),
    unknown: () => browser.request(action, { form: { csrf, email: 'ingen@firma.example' } }),
  };
  await assertAlike(cases);
  await assertNoGrossDifference(cases, [['known', 'unknown']]);
});
