// The sign-in shedding admits exactly the form posts that hash a password, and lets everything else by.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Context } from 'koa';
import { shedWhenBusy } from '../../../interactions/busy/index.ts';
import { HashPoolBusy } from '../../../src/errors.ts';

/** A pool with no room: every admission is refused. */
const full = { admit: () => undefined, retryAfterSeconds: () => 7 };

async function answer(method: string, path: string): Promise<'shed' | 'passed'> {
  let passed = false;
  try {
    await shedWhenBusy(full, (_ctx, next) => next())({ method, path } as Context, async () => void (passed = true));
  } catch (error) {
    assert.ok(error instanceof HashPoolBusy);
    assert.equal(error.retryAfterSeconds, 7);
    return 'shed';
  }
  assert.ok(passed);
  return 'passed';
}

test('every form post that hashes a password is admitted first, so a full pool sheds it before anything is counted', async () => {
  for (const step of ['login', 'business/login', 'staff/login', 'credentials', 'business/password']) {
    assert.equal(await answer('POST', `/interaction/abc123/${step}`), 'shed', step);
  }
});

test('pages, other posts and the provider pass a full pool by', async () => {
  assert.equal(await answer('GET', '/interaction/abc123/login'), 'passed');
  for (const path of ['/interaction/abc123/first-login', '/interaction/abc123/first-time-password', '/interaction/abc123/business/resend', '/token', '/interaction/abc123/login/extra']) {
    assert.equal(await answer('POST', path), 'passed', path);
  }
});

test('a sign-in takes its place in the pool only once its form has been read', async () => {
  const order: string[] = [];
  const pool = { admit: () => (order.push('admitted'), () => order.push('released')), retryAfterSeconds: () => 1 };
  const readForm = async (_ctx: Context, next: () => Promise<unknown>) => {
    order.push('form read');
    await next();
  };
  await shedWhenBusy(pool, readForm)({ method: 'POST', path: '/interaction/abc123/login' } as Context, async () => void order.push('signed in'));
  assert.deepEqual(order, ['form read', 'admitted', 'signed in', 'released']);
});
