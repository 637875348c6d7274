// The choose-username step tells whether a username is taken (and a username may be an e-mail
// address), so its tries are limited per redeemed first-time password and per IP, over HTTP.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findAccountById, setUsername } from '../../src/accounts/accounts.ts';
import { latestAudit } from '../../src/audit/audit.ts';
import { runCli } from '../../src/cli/run.ts';
import { createMember } from '../support/accounts.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import type { TestIdp } from '../support/idp.ts';
import { serverWithApp, type Rp } from '../support/rp.ts';

const NEW_PASSWORD = 'sommerferie på Senja med kajakk';

/** Sends a member a first-time password (as a caseworker would) and returns it as the SMS shows it. */
async function firstTimePassword(idp: TestIdp, member: { memberNumber: string | null; mobile: string | null }): Promise<string> {
  const lines: string[] = [];
  const code = await runCli(['members', 'send-first-time-password', member.memberNumber!, '--sms', '--by', 'test'], { db: idp.db, settings: idp.settings, out: (l) => lines.push(l), err: (l) => lines.push(l), actor: 'test' });
  assert.equal(code, 0, lines.join('\n'));
  await idp.outbox.deliverDue();
  const sms = idp.devOutbox!.find((m) => m.to === member.mobile); // the newest first
  return /\b([a-z2-9]{4} [a-z2-9]{4} [a-z2-9]{4})\b/.exec(sms!.text)![1]!;
}

/** First login in a fresh browser; returns a function posting the choose-credentials form. */
async function credentialsStep(idp: TestIdp, rp: Rp, memberNumber: string, password: string) {
  const browser = new Browser();
  const { page } = await rp.start(browser);
  const link = [...page.html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/g)].find((m) => decode(m[2]!) === 'Jeg har fått nytt passord/PIN')!;
  const form = await browser.go(new URL(decode(link[1]!), page.url));
  const step = await browser.submit(form, { member_number: memberNumber, password });
  assert.match(textOf(step.html), /Velg brukernavn og passord/, textOf(step.html));
  const action = new URL(decode(/<form method="post" action="([^"]+)"/.exec(step.html)![1]!), step.url);
  const csrf = decode(/name="csrf" value="([^"]+)"/.exec(step.html)![1]!);
  return (username: string) => browser.request(action, { form: { csrf, username, password: NEW_PASSWORD, confirmation: NEW_PASSWORD } });
}

const takenAnswer = (page: Page) => page.status === 400 && /Brukernavnet er allerede i bruk/.test(textOf(page.html));
const limitedAnswer = (page: Page) => page.status === 429 && /For mange forsøk/.test(textOf(page.html)) && !/name="username"/.test(page.html);

describe('choose-username tries per redeemed first-time password', () => {
  const server = serverWithApp({ CREDENTIALS_LIMIT_FLOW_HOUR: '5', CREDENTIALS_LIMIT_IP_HOUR: '1000' });

  test('after 5 tries the 6th gets a clear 429 page, tells nothing and saves nothing, in any browser', async () => {
    const { idp, rp } = server;
    const owner = await createMember(idp, { password: 'eierens-eget-passord' });
    await setUsername(idp.db, owner.id, 'kari.eier@example.org');
    const member = await createMember(idp);
    const password = await firstTimePassword(idp, member);
    const post = await credentialsStep(idp, rp, member.memberNumber!, password);

    for (let i = 0; i < 5; i++) assert.ok(takenAnswer(await post('kari.eier@example.org')), `try ${i + 1} is answered`);
    const refused = await post('kari.eier@example.org');
    assert.ok(limitedAnswer(refused), `${refused.status} ${textOf(refused.html)}`);
    assert.match(textOf(refused.html), /Vent en stund, høyst en time, og prøv igjen/);
    assert.doesNotMatch(textOf(refused.html), /allerede i bruk/);
    // A free name and a good password are refused too: nothing was checked or saved.
    assert.ok(limitedAnswer(await post('ledig.navn')));
    assert.equal((await findAccountById(idp.db, member.id))!.username, null);
    assert.equal(await idp.db('first_time_passwords').where({ account_id: member.id }).first('id').then(Boolean), true, 'the first-time password is not used up');
    // The count belongs to the first-time password, not to the browser.
    const again = await credentialsStep(idp, rp, member.memberNumber!, password);
    assert.ok(limitedAnswer(await again('ledig.navn')));
    const events = (await latestAudit(idp.db, 50, { accountId: member.id })).filter((e) => e.event === 'credentials.limited');
    assert.deepEqual(events.map((e) => e.detail), [{ per: 'flow' }, { per: 'flow' }, { per: 'flow' }], 'every refused try is audited');
  });

  test('parallel tries cannot slip past the limit (12 at once, limit 5)', async () => {
    const { idp, rp } = server;
    const member = await createMember(idp);
    const post = await credentialsStep(idp, rp, member.memberNumber!, await firstTimePassword(idp, member));
    // One try alone is answered (too short: a problem), so the limit is not closed from the start.
    assert.equal((await post('ab')).status, 400);
    const answers = await Promise.all(Array.from({ length: 12 }, () => post('ab')));
    const answered = answers.filter((a) => a.status === 400).length;
    // However the counters interleave, at most the 4 tries left are answered (a crowd may be counted a
    // little early, so perhaps fewer, never late), and every other try gets the limit page.
    assert.ok(answered <= 4, answers.map((a) => a.status).join(' '));
    const odd = answers.filter((a) => a.status !== 400 && !limitedAnswer(a));
    assert.deepEqual(odd.map((a) => `${a.status} ${textOf(a.html).slice(0, 200)}`), [], 'every try is answered or refused');
    assert.ok(limitedAnswer(await post('etter.mengden')));
  });

  test('one first-time password, credentials posted 4 times at once from two browsers: one completes, the others change nothing', async () => {
    const { idp, rp } = server;
    const member = await createMember(idp);
    const password = await firstTimePassword(idp, member);
    // Both browsers redeem the same first-time password up to the choose step (it is used up only by the save).
    const posts = [await credentialsStep(idp, rp, member.memberNumber!, password), await credentialsStep(idp, rp, member.memberNumber!, password)];
    // Four: within the flow's tries (all four are counted before any is checked, so more would all be refused).
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => posts[i % 2]!(`samtidig.${i}`)));
    // Done: back to the provider to finish the sign-in (the others: "no longer valid", or to where the flow is now).
    const done = answers.flatMap((answer, i) => (answer.status === 303 && /\/auth\//.test(answer.location ?? '') ? [i] : []));
    assert.equal(done.length, 1, `one completion of 4 (${answers.map((a) => `${a.status} ${a.location ?? ''}`).join(', ')})`);
    assert.equal((await findAccountById(idp.db, member.id))!.username, `samtidig.${done[0]}`, 'the username of the one that completed');
    const events = await latestAudit(idp.db, 50, { accountId: member.id });
    assert.equal(events.filter((e) => e.event === 'password.set').length, 1, 'the password set once');
    assert.equal(events.filter((e) => e.event === 'username.set').length, 1, 'the username set once');
  });

  test('a member under the limit chooses a username and goes on to the app', async () => {
    const { idp, rp } = server;
    const member = await createMember(idp);
    const post = await credentialsStep(idp, rp, member.memberNumber!, await firstTimePassword(idp, member));
    assert.equal((await post('a')).status, 400);
    const done = await post('eget.navn@example.org');
    assert.equal(done.status, 303);
    assert.equal((await findAccountById(idp.db, member.id))!.username, 'eget.navn@example.org');
  });
});

describe('choose-username tries per IP', () => {
  const server = serverWithApp({ CREDENTIALS_LIMIT_FLOW_HOUR: '100', CREDENTIALS_LIMIT_IP_HOUR: '6' });

  test('tries from one IP are counted across first-time passwords', async () => {
    const { idp, rp } = server;
    const first = await createMember(idp);
    const second = await createMember(idp);
    const postFirst = await credentialsStep(idp, rp, first.memberNumber!, await firstTimePassword(idp, first));
    const postSecond = await credentialsStep(idp, rp, second.memberNumber!, await firstTimePassword(idp, second));
    for (let i = 0; i < 4; i++) assert.equal((await postFirst('a')).status, 400);
    assert.equal((await postSecond('a')).status, 400);
    assert.equal((await postSecond('a')).status, 400);
    assert.ok(limitedAnswer(await postSecond('ledig.navn.to')));
    assert.ok(limitedAnswer(await postFirst('ledig.navn.en')));
    const events = await latestAudit(idp.db, 50, { event: 'credentials.limited' });
    assert.deepEqual(events.map((e) => e.detail), [{ per: 'ip' }, { per: 'ip' }]);
  });
});
