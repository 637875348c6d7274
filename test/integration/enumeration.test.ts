// Nothing tells whether a member number, username or business e-mail exists: not the page, not the
// status, not the time. Timing is compared with the production bcrypt cost, so a missing decoy
// comparison (≈ one bcrypt, tens of ms) would show far above the threshold.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBusinessUser, createMember } from '../support/accounts.ts';
import { Browser, type Page } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { registerRp, type Rp } from '../support/rp.ts';
import { medianTimings } from '../support/timing.ts';

const PASSWORD = 'fjordtur-til-lofoten';
// Medians of 30 interleaved samples per case, after 5 warm-up rounds, may differ by at most this.
const THRESHOLD_MS = 15;

let idp: TestIdp;
let members: Rp;
let portal: Rp;
before(async () => {
  idp = await startIdp({ BCRYPT_COST: '10' });
  members = await registerRp(idp);
  portal = await registerRp(idp, { name: 'Bedriftsportalen', login: 'business' });
});
after(() => idp.close());

/** A sign-in form in a fresh browser, and a function that posts it with other fields. */
async function form(app: Rp) {
  const browser = new Browser();
  const { page } = await app.start(browser);
  const action = new URL(/<form method="post" action="([^"]+)"/.exec(page.html)![1]!, page.url).href;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
  return (fields: Record<string, string>) => browser.request(action, { form: { csrf, ...fields } });
}

const comparable = (page: Page) => ({
  status: page.status,
  location: page.location,
  cookies: page.headers.getSetCookie().map((c) => c.split('=')[0]).sort(),
  html: page.html.replace(/\/interaction\/[\w-]+/g, '').replace(/name="csrf" value="[^"]+"/g, '').replace(/(name="(identifier|email)"[^>]*?) value="[^"]*"/g, '$1'),
});

test('member sign-in: known and unknown member numbers and usernames answer alike, in the same time', async () => {
  const known = await createMember(idp, { password: PASSWORD, username: 'kjent.medlem' });
  const inactive = await createMember(idp, { password: PASSWORD, status: 'inactive' });
  const post = await form(members);
  const cases = {
    knownNumber: () => post({ identifier: known.memberNumber!, password: 'wrong-password-1' }),
    unknownNumber: () => post({ identifier: '77777777', password: 'wrong-password-1' }),
    knownUsername: () => post({ identifier: 'kjent.medlem', password: 'wrong-password-1' }),
    unknownUsername: () => post({ identifier: 'ukjent.medlem', password: 'wrong-password-1' }),
    inactive: () => post({ identifier: inactive.memberNumber!, password: PASSWORD }),
  };
  const answers = await Promise.all(Object.values(cases).map(async (run) => comparable(await run())));
  for (const answer of answers.slice(1)) assert.deepEqual(answer, answers[0]);

  const { medians, spread } = await medianTimings(cases, { rounds: 30, warmup: 5 });
  assert.ok(spread < THRESHOLD_MS, `medians differ by ${spread.toFixed(1)} ms: ${JSON.stringify(medians)}`);
});

test('business sign-in: a known and an unknown e-mail answer alike, in the same time', async () => {
  const user = await createBusinessUser(idp, { email: 'kjent@firma.example', password: PASSWORD });
  const post = await form(portal);
  const cases = {
    known: () => post({ email: user.email!, password: 'wrong-password-1' }),
    unknown: () => post({ email: 'ukjent@firma.example', password: 'wrong-password-1' }),
  };
  assert.deepEqual(comparable(await cases.known()), comparable(await cases.unknown()));
  const { medians, spread } = await medianTimings(cases, { rounds: 30, warmup: 5 });
  assert.ok(spread < THRESHOLD_MS, `medians differ by ${spread.toFixed(1)} ms: ${JSON.stringify(medians)}`);
});

test('business code request: a known and an unknown address answer alike, in the same time', async () => {
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
  assert.deepEqual(comparable(await cases.known()), comparable(await cases.unknown()));
  const { medians, spread } = await medianTimings(cases, { rounds: 30, warmup: 5 });
  assert.ok(spread < THRESHOLD_MS, `medians differ by ${spread.toFixed(1)} ms: ${JSON.stringify(medians)}`);
});
