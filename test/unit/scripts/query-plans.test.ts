// The look-ups a sign-in, a refresh and userinfo make, and the purge, are index searches on both
// databases (the plans `npm run bench -- --preload 1000000` prints, here over 20,000 stored rows and
// HK's 80,000 members, so the planner has a table worth an index): a change to one of them, or to the
// indexes, that makes it read a whole table fails here, not at a vote.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { preload, queryPlans } from '../../../scripts/bench-preload.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

// PostgreSQL rightly scans a table of a few rows instead of its index; this one stays that small.
const SMALL_TABLES = new Set(['client by id']);

let db: Db;
let close: () => Promise<void>;
before(async () => {
  ({ db, close } = await testDb());
  await preload(db, 20_000, () => {});
});
after(() => close());

test('every hot look-up, the token with its grant, session and account among them, uses an index', async () => {
  const plans = await queryPlans(db);
  assert.ok(plans.some((plan) => plan.label === 'token with its grant, session and account'));
  const pg = db.client.config.client === 'pg';
  for (const plan of plans) {
    if (pg && SMALL_TABLES.has(plan.label)) continue;
    assert.ok(plan.indexed, `${plan.label}: ${plan.plan.join(' / ')}`);
  }
});
