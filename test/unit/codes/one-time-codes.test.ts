import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cancelOneTimeCodes,
  generateCode,
  issueOneTimeCode,
  MAX_WRONG_ATTEMPTS,
  normalizeCode,
  verifyOneTimeCode,
} from '../../../src/codes/one-time-codes.ts';
import { purgesNamed, runPurge } from '../../../src/maintenance/purge.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const TTL = 10 * 60 * 1000;
const T0 = 1_800_000_000_000;

describe('one-time codes', () => {
  let db: Db;
  let close: () => Promise<void>;
  let n = 0;
  const flow = () => `flow-${n++}`;
  const account = () => `account-${n++}`;
  const issue = (input: { accountId: string | null; purpose?: string; flowId: string; address?: string }, now = T0) =>
    issueOneTimeCode(db, SECRET, { purpose: 'test_purpose', ttlMs: TTL, address: `email:${input.flowId}@example.org`, ...input }, now);
  const verify = (input: { purpose?: string; flowId: string; code: string }, now = T0 + 1000) =>
    verifyOneTimeCode(db, SECRET, { purpose: 'test_purpose', ...input }, now);
  const wrongFor = (code: string) => (code === '000000' ? '000001' : '000000');

  before(async () => ({ db, close } = await testDb()));
  after(() => close());

  test('six digits from the CSPRNG, every digit about equally likely', () => {
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const code = generateCode();
      assert.match(code, /^\d{6}$/);
      for (const digit of code) counts[Number(digit)]++;
    }
    const expected = 60_000 / 10;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: 40 is far beyond the 99.999th percentile, so only a broken generator fails.
    assert.ok(chiSquare < 40, `chi-square ${chiSquare}`);
  });

  test('what a person types: spaces and dashes ignored, anything else refused', () => {
    assert.equal(normalizeCode(' 123 456 '), '123456');
    assert.equal(normalizeCode('123-456'), '123456');
    assert.equal(normalizeCode('12345'), undefined);
    assert.equal(normalizeCode('12345a'), undefined);
    assert.equal(normalizeCode('１２３４５６'), undefined, 'full-width digits are not ASCII digits');
  });

  test('stored only as a keyed hash; the right code works once', async () => {
    const owner = account();
    const flowId = flow();
    const { id, code } = await issue({ accountId: owner, flowId });
    const row = await db('one_time_codes').where({ id }).first();
    assert.ok(!JSON.stringify(row).includes(code), 'no plaintext code in the row');
    assert.deepEqual(await verify({ flowId, code }), { outcome: 'ok', accountId: owner });
    assert.deepEqual(await verify({ flowId, code }), { outcome: 'dead', reason: 'used', accountId: owner });
  });

  test(`${MAX_WRONG_ATTEMPTS} wrong entries kill the code, even for the right one afterwards`, async () => {
    const owner = account();
    const flowId = flow();
    const { code } = await issue({ accountId: owner, flowId });
    for (let left = MAX_WRONG_ATTEMPTS - 1; left >= 1; left--) {
      assert.deepEqual(await verify({ flowId, code: wrongFor(code) }), { outcome: 'wrong', attemptsLeft: left, accountId: owner });
    }
    assert.deepEqual(await verify({ flowId, code: wrongFor(code) }), { outcome: 'dead', reason: 'attempts', accountId: owner });
    assert.deepEqual(await verify({ flowId, code }), { outcome: 'dead', reason: 'attempts', accountId: owner });
  });

  test('parallel guesses: exactly the limit is counted and the right code then fails; parallel right entries: one wins', async () => {
    const flowId = flow();
    const { id, code } = await issue({ accountId: account(), flowId });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => verify({ flowId, code: wrongFor(code) })));
    assert.ok(outcomes.every((o) => o.outcome !== 'ok'));
    assert.equal((await db('one_time_codes').where({ id }).first())!.attempts, MAX_WRONG_ATTEMPTS);
    assert.equal((await verify({ flowId, code })).outcome, 'dead');

    const other = flow();
    const second = await issue({ accountId: account(), flowId: other });
    const wins = await Promise.all(Array.from({ length: 10 }, () => verify({ flowId: other, code: second.code })));
    assert.equal(wins.filter((o) => o.outcome === 'ok').length, 1, 'a code is used exactly once');
  });

  test('bound to its flow and its purpose', async () => {
    const flowId = flow();
    const { code } = await issue({ accountId: account(), flowId });
    assert.deepEqual(await verify({ flowId: flow(), code }), { outcome: 'dead', reason: 'none', accountId: null });
    assert.deepEqual(await verify({ flowId, purpose: 'other_purpose', code }), { outcome: 'dead', reason: 'none', accountId: null });
    assert.equal((await verify({ flowId, code })).outcome, 'ok', 'the misdirected entries did not hurt it');
  });

  test('expires after its lifetime', async () => {
    const flowId = flow();
    const { code } = await issue({ accountId: account(), flowId });
    assert.equal((await verify({ flowId, code }, T0 + TTL)).outcome, 'dead');
    assert.equal((await verify({ flowId, code }, T0 + TTL - 1)).outcome, 'ok');
  });

  test('a new code cancels the older ones of the same account and purpose, and of the same flow', async () => {
    const owner = account();
    const [flowA, flowB, flowC] = [flow(), flow(), flow()];
    const first = await issue({ accountId: owner, flowId: flowA });
    const otherPurpose = await issue({ accountId: owner, flowId: flowC, purpose: 'other_purpose' });
    const second = await issue({ accountId: owner, flowId: flowB }, T0 + 10);
    assert.equal((await verify({ flowId: flowA, code: first.code })).outcome, 'dead', 'the same account and purpose in another flow');
    assert.equal((await verify({ flowId: flowC, purpose: 'other_purpose', code: otherPurpose.code })).outcome, 'ok', 'another purpose is left alone');

    // The same flow asks again (perhaps for another address): only the newest counts.
    const third = await issue({ accountId: account(), flowId: flowB }, T0 + 20);
    const stale = await verify({ flowId: flowB, code: second.code });
    assert.ok(stale.outcome !== 'ok');
    assert.equal((await verify({ flowId: flowB, code: third.code })).outcome, 'ok');
  });

  test('wrong entries count per flow and account: a new code in the same flow keeps them, another flow starts afresh', async () => {
    const owner = account();
    const flowId = flow();
    const first = await issue({ accountId: owner, flowId });
    for (let i = 0; i < MAX_WRONG_ATTEMPTS - 1; i++) assert.equal((await verify({ flowId, code: wrongFor(first.code) })).outcome, 'wrong');
    const second = await issue({ accountId: owner, flowId }, T0 + 10);
    assert.deepEqual(await verify({ flowId, code: wrongFor(second.code) }), { outcome: 'dead', reason: 'attempts', accountId: owner });
    assert.equal((await verify({ flowId, code: second.code })).outcome, 'dead', 'the right new code after it too');
    const third = await issue({ accountId: owner, flowId }, T0 + 20);
    assert.equal((await verify({ flowId, code: third.code })).outcome, 'dead', 'and every later code of this flow');
    assert.deepEqual([first.spent, second.spent, third.spent], [false, false, true], 'a code dead at birth says so (nothing is sent)');

    const otherFlow = flow();
    const fresh = await issue({ accountId: owner, flowId: otherFlow }, T0 + 30);
    assert.deepEqual(await verify({ flowId: otherFlow, code: wrongFor(fresh.code) }), { outcome: 'wrong', attemptsLeft: MAX_WRONG_ATTEMPTS - 1, accountId: owner });
    assert.equal((await verify({ flowId: otherFlow, code: fresh.code })).outcome, 'ok');
  });

  test('a code bound to no account (an unknown address) never verifies', async () => {
    const flowId = flow();
    const { code } = await issue({ accountId: null, flowId });
    assert.deepEqual(await verify({ flowId, code }), { outcome: 'wrong', attemptsLeft: MAX_WRONG_ATTEMPTS - 1, accountId: null });
  });

  test('cancelling every code of an account, and purging old ones', async () => {
    const owner = account();
    const flowId = flow();
    const { code } = await issue({ accountId: owner, flowId });
    assert.equal(await cancelOneTimeCodes(db, owner, T0 + 5), 1);
    assert.equal((await verify({ flowId, code })).outcome, 'dead');
    const before = Number((await db('one_time_codes').count({ n: '*' }))[0]!.n);
    assert.ok(before > 0);
    await runPurge(db, { now: T0 + TTL + 23 * 3600 * 1000, auditRetentionDays: 400, targets: purgesNamed('one-time-codes') });
    assert.equal(Number((await db('one_time_codes').count({ n: '*' }))[0]!.n), before, 'kept a day past expiry');
    await runPurge(db, { now: T0 + TTL + 25 * 3600 * 1000, auditRetentionDays: 400, targets: purgesNamed('one-time-codes') });
    assert.equal(Number((await db('one_time_codes').count({ n: '*' }))[0]!.n), 0);
  });
  test('a newer request for the same address cancels the older code whether or not the address belongs to anyone', async () => {
    for (const owner of [account(), null]) {
      const address = `email:same-${n++}@example.org`;
      const first = await issue({ accountId: owner, flowId: flow(), address });
      const firstFlow = (await db('one_time_codes').where({ id: first.id }).first())!.flow_id;
      await issue({ accountId: owner, flowId: flow(), address });
      const check = await verify({ flowId: firstFlow, code: wrongFor(first.code) });
      assert.deepEqual({ outcome: check.outcome }, { outcome: 'dead' }, `owner ${owner ? 'known' : 'unknown'}: the same answer`);
    }
  });
});
