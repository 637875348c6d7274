// Several instances on one database (SQLite file, or one PostgreSQL schema with TEST_DATABASE_URL):
// each message is claimed and delivered by exactly one of them, and an instance started after
// another one died delivers what the dead one had claimed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connector, MessageRequest } from '../../src/delivery/delivery.ts';
import { LEASE_MS } from '../../src/delivery/outbox.ts';
import { auditOf, enqueueTest, hangingConnector, newCode, outboxRow, testTemplates } from '../support/delivery.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createIdp } from '../../src/server.ts';
import { freshDatabase, startIdpOn, testSettings, type TestIdp } from '../support/idp.ts';

/** Records what it carries; yields first, so two instances' sends interleave. */
function recordingConnector(sent: Array<MessageRequest & { by: string }>, by: string): Connector {
  return {
    async send(message) {
      await new Promise((resolve) => setImmediate(resolve));
      sent.push({ ...message, by });
    },
  };
}

test('two instances on one database never deliver a message twice', async () => {
  const database = await freshDatabase();
  const sent: Array<MessageRequest & { by: string }> = [];
  let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
  const instances: TestIdp[] = [];
  try {
    for (const name of ['a', 'b']) {
      instances.push(await startIdpOn(database, {}, { now: () => clock, connector: recordingConnector(sent, name), messageTemplates: testTemplates, outboxIntervalMs: 0 }));
    }
    const [a, b] = instances as [TestIdp, TestIdp];
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) ids.push(await enqueueTest(a, clock, { channel: 'email', to: `member${i}@example.org`, code: newCode() }));

    const delivered = await Promise.all([a.outbox.deliverDue(), b.outbox.deliverDue(), a.outbox.deliverDue(), b.outbox.deliverDue()]);
    assert.equal(delivered.reduce((sum, n) => sum + n, 0), 60);
    assert.equal(sent.length, 60, 'each message sent once');
    assert.equal(new Set(sent.map((m) => m.to)).size, 60);
    // (Which instance sends what is up to the race; on a loaded machine one may take all of them.)
    for (const id of ids) {
      const events = (await auditOf(a, id)).map((e) => e.event);
      assert.deepEqual(events, ['message.attempt', 'message.sent']);
    }
  } finally {
    for (const idp of instances) await idp.close();
    await database.drop();
  }
});

test('an instance started after another was killed mid-delivery sends what it had claimed', async () => {
  const database = await freshDatabase();
  const sent: Array<MessageRequest & { by: string }> = [];
  let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
  // The first instance claims the message and dies before its connector returns.
  const { connector: hangs, claimed: claimedNow } = hangingConnector();
  const settings = testSettings({ DATABASE_URL: database.databaseUrl, DATA_DIR: database.dataDir });
  const first = await createIdp(settings, { schema: database.schema, now: () => clock, connector: hangs, messageTemplates: testTemplates, outboxIntervalMs: 0, logger: silentLogger() });
  const code = newCode();
  const id = await enqueueTest(first, clock, { channel: 'sms', to: '+4791234567', code });
  void first.outbox.deliverDue();
  await claimedNow;
  assert.equal((await first.db('outbox').where({ id }).first())!.status, 'sending');
  await first.db.destroy(); // the process is gone; its claim stays in the database

  const second = await startIdpOn(database, {}, { now: () => clock, connector: recordingConnector(sent, 'second'), messageTemplates: testTemplates, outboxIntervalMs: 0 });
  try {
    assert.equal(await second.outbox.deliverDue(), 0, 'not while the claim may still be alive');
    clock += LEASE_MS;
    assert.equal(await second.outbox.deliverDue(), 1);
    assert.deepEqual(sent.map((m) => [m.to, m.params.code]), [['+4791234567', code]]);
    const after = await outboxRow(second, id);
    assert.equal(after.status, 'sent');
    assert.equal(after.attempts, 2, 'the lost attempt counts');
    assert.equal(after.params, null);
  } finally {
    await second.close();
    await database.drop();
  }
});
