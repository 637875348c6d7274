// The outbox worker on its own database: what it writes to the audit log and the log when a
// connector fails, and its back-off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { latestAudit } from '../../../src/audit/audit.ts';
import type { Connector } from '../../../src/delivery/delivery.ts';
import { createOutboxWorker, enqueue, maskRecipient, retryDelay } from '../../../src/delivery/outbox.ts';
import { FINISHED_MESSAGE_RETENTION_MS as RETENTION_MS, purgesNamed, runPurge } from '../../../src/maintenance/purge.ts';
import { migrate, openDatabase, type Db } from '../../../src/storage/db.ts';

let db: Db;
before(async () => {
  db = openDatabase('sqlite::memory:');
  await migrate(db);
});
after(() => db.destroy());

test('back-off doubles from 5 seconds and stops growing at 10 minutes', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(retryDelay), [5_000, 10_000, 20_000, 40_000, 80_000]);
  assert.equal(retryDelay(30), 10 * 60_000);
});

test('recipients are masked in the audit log', () => {
  assert.equal(maskRecipient('sms', '+4791234567'), '+47*****567');
  assert.equal(maskRecipient('email', 'kari.nordmann@example.org'), 'k***@example.org');
});

test('an error that echoes the secret is scrubbed before the audit log, the outbox row and the log see it', async () => {
  const secret = 'Q7M4-PX9K';
  const logged: string[] = [];
  const leaky: Connector = {
    async send(message) {
      throw new Error(`upstream said: cannot send "${message.params.code}" now`); // not a DeliveryError: temporary
    },
  };
  let clock = 1_000_000;
  const worker = createOutboxWorker({ db, connector: leaky, now: () => clock, log: (line) => logged.push(line) });
  await enqueue(db, { channel: 'sms', to: '+4791234567', kind: 'k', language: 'nb', params: { code: secret }, expiresAt: clock + 60_000, accountId: 'acc-1' }, clock);

  await worker.deliverDue();
  const row = await db('outbox').first();
  assert.equal(row!.status, 'pending', 'an unknown error is treated as temporary');
  assert.equal(row!.last_error, 'Error: upstream said: cannot send "[redacted]" now');
  const [attempt] = await latestAudit(db, 1);
  assert.equal(attempt!.event, 'message.attempt');
  assert.equal(attempt!.accountId, 'acc-1');
  assert.equal(attempt!.actor, 'outbox');
  assert.equal(attempt!.detail.reason, 'Error: upstream said: cannot send "[redacted]" now');
  assert.equal(logged.length, 1);
  assert.ok(!logged[0]!.includes(secret));

  clock += 120_000;
  await worker.deliverDue();
  const done = await db('outbox').first();
  assert.equal(done!.status, 'expired');
  assert.equal(done!.params, null);
  const text = JSON.stringify([await db('outbox').select(), await db('audit_log').select(), logged]);
  assert.ok(!text.includes(secret), 'the secret is nowhere once the message is closed');
});

test('finished messages are purged after the retention period; waiting ones never', async () => {
  await db('outbox').delete();
  const now = 10 * RETENTION_MS;
  const old = now - RETENTION_MS - 1;
  for (const [status, createdAt] of [['sent', old], ['failed', old], ['expired', old], ['pending', old], ['sent', now - 1000]] as const) {
    await enqueue(db, { channel: 'email', to: `${status}@example.org`, kind: 'k', language: 'nb', params: {}, expiresAt: createdAt + 60_000 }, createdAt);
    await db('outbox').where({ recipient: `${status}@example.org`, created_at: createdAt }).update({ status });
  }
  assert.deepEqual(await runPurge(db, { now, auditRetentionDays: 400, targets: purgesNamed('outbox') }), { ran: true, purged: { outbox: 3 } });
  assert.deepEqual((await db('outbox').orderBy('id').select('status', 'created_at')).map((r) => [r.status, Number(r.created_at)]), [['pending', old], ['sent', now - 1000]]);
});
