// The provider's outgoing requests (back-channel logout tokens): the SSRF guard stays on for every
// address except a literal loopback host, and that exception only with BACKCHANNEL_ALLOW_LOOPBACK.
// And the purge of finished notifications.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { loadSettings } from '../../../config/settings.ts';
import { outgoingFetch } from '../../../src/oidc/backchannel.ts';
import { FINISHED_MESSAGE_RETENTION_MS, purgesNamed, runPurge } from '../../../src/maintenance/purge.ts';
import { queueLogout } from '../../../src/oidc/backchannel-queue.ts';
import { testDb } from '../../support/db.ts';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** What reaches fetch: whether the provider's guarding dispatcher is still set. */
function capture() {
  const seen: { url: string; guarded: boolean }[] = [];
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit & { dispatcher?: unknown }) => {
    seen.push({ url: String(input), guarded: init?.dispatcher !== undefined });
    return new Response(null, { status: 200 });
  }) as typeof fetch;
  return seen;
}

test('with loopback allowed, only a literal loopback host loses the guard', async () => {
  const seen = capture();
  const send = outgoingFetch(true);
  const guard = { marker: 'ssrf-dispatcher' };
  for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://[::1]:8080/x', 'https://10.0.0.1/x', 'https://169.254.169.254/latest', 'https://app.hk.no/bc', 'https://127.0.0.1.nip.io/x']) {
    await send(url, { method: 'POST', dispatcher: guard } as unknown as RequestInit);
  }
  assert.deepEqual(
    seen.map((s) => s.guarded),
    [false, false, false, true, true, true, true],
  );
});

test('without it, every request keeps the guard', async () => {
  const seen = capture();
  await outgoingFetch(false)('http://127.0.0.1:9/x', { dispatcher: {} } as unknown as RequestInit);
  assert.equal(seen[0]!.guarded, true);
});

test('BACKCHANNEL_ALLOW_LOOPBACK: off by default in production, on in development and tests, validated', () => {
  const KEY = 'k'.repeat(32);
  const production = { NODE_ENV: 'production', ISSUER: 'https://login.hk.no', TRUST_PROXY_HOPS: '1', COOKIE_KEYS: KEY, PASSWORD_PEPPER: KEY, KEY_ENCRYPTION_KEY: KEY, DEV_OUTBOX: 'true' };
  assert.equal(loadSettings(production).backchannelAllowLoopback, false);
  assert.equal(loadSettings({ ...production, BACKCHANNEL_ALLOW_LOOPBACK: 'true' }).backchannelAllowLoopback, true);
  assert.equal(loadSettings({ NODE_ENV: 'test', COOKIE_KEYS: KEY, PASSWORD_PEPPER: KEY, KEY_ENCRYPTION_KEY: KEY }).backchannelAllowLoopback, true);
  assert.throws(() => loadSettings({ ...production, BACKCHANNEL_ALLOW_LOOPBACK: 'yes' }), /BACKCHANNEL_ALLOW_LOOPBACK/);
});

test('finished notifications are purged after the retention period; waiting ones never', async () => {
  const { db, close } = await testDb();
  try {
    const old = Date.now() - FINISHED_MESSAGE_RETENTION_MS - 1000;
    for (const status of ['sent', 'failed', 'expired', 'pending'] as const) {
      await queueLogout(db, { clientId: `app-${status}`, accountId: 'acc', sid: 's' }, 'logout', old);
      await db('backchannel_logouts').where({ client_id: `app-${status}` }).update({ status });
    }
    await queueLogout(db, { clientId: 'app-recent', accountId: 'acc' }, 'logout', Date.now());
    await db('backchannel_logouts').where({ client_id: 'app-recent' }).update({ status: 'sent' });
    const report = await runPurge(db, { now: Date.now(), auditRetentionDays: 400, targets: purgesNamed('backchannel-logouts') });
    assert.deepEqual(report, { ran: true, purged: { 'backchannel-logouts': 3 } });
    assert.deepEqual((await db('backchannel_logouts').orderBy('client_id').pluck('client_id')), ['app-pending', 'app-recent']);
  } finally {
    await close();
  }
});
