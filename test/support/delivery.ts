// Delivery tests' shared pieces: a neutral message kind that only test servers know (registered
// through IdpOptions.messageTemplates), and helpers to enqueue and to read the outbox and its audit.
import { latestAudit, type AuditRow } from '../../src/audit/audit.ts';
import type { Channel, Connector } from '../../src/delivery/delivery.ts';
import { enqueue } from '../../src/delivery/outbox.ts';
import type { MessageTemplate } from '../../interactions/messages.ts';
import type { Db } from '../../src/storage/db.ts';
import type { OutboxRow } from '../../src/storage/tables.ts';

/** Anything with a database: a test server, or a bare one. */
type WithDb = { db: Db };

export const TEST_KIND = 'test.code';

/** Worded like a real kind: what the code is for, the code, how long it is valid. */
export const testTemplates: Record<string, MessageTemplate> = {
  [TEST_KIND]: (lang, params) =>
    lang === 'en'
      ? {
          subject: 'Your test code',
          body: [`Here is your test code for ${params.purpose}:`, { code: params.code! }, 'It is valid for 10 minutes.'],
          sms: `Your test code from HK: ${params.code}. Valid for 10 minutes.`,
        }
      : {
          subject: 'Din testkode',
          body: [`Her er testkoden din for ${params.purpose}:`, { code: params.code! }, 'Den gjelder i 10 minutter.'],
          sms: `Testkoden din fra HK: ${params.code}. Gjelder i 10 minutter.`,
        },
};

/** Puts one message in the outbox as a flow would; returns its row id. */
export async function enqueueTest(
  idp: WithDb,
  now: number,
  message: { channel: Channel; to: string; code: string; language?: 'nb' | 'en'; ttlMs?: number; purpose?: string },
): Promise<number> {
  await enqueue(
    idp.db,
    {
      channel: message.channel,
      to: message.to,
      kind: TEST_KIND,
      language: message.language ?? 'nb',
      params: { code: message.code, purpose: message.purpose ?? 'testing' },
      expiresAt: now + (message.ttlMs ?? 10 * 60_000),
    },
    now,
  );
  const row = await idp.db('outbox').max({ id: 'id' }).first();
  return Number(row!.id);
}

export async function outboxRow(idp: WithDb, id: number): Promise<OutboxRow> {
  return (await idp.db('outbox').where({ id }).first())!;
}

/** The audit rows about one outbox message, oldest first. */
export async function auditOf(idp: WithDb, id: number): Promise<AuditRow[]> {
  const rows = await latestAudit(idp.db, 10_000);
  return rows.filter((row) => row.detail.outboxId === id).reverse();
}

/** Everything in the outbox and the audit log, as text: a secret must appear nowhere in it. */
export async function storedText(idp: WithDb): Promise<string> {
  return JSON.stringify([await idp.db('outbox').select(), await idp.db('audit_log').select()]);
}

/** A random 8-character code, so a test can search the database for it. */
export const newCode = () => Math.random().toString(36).slice(2, 10).toUpperCase().padEnd(8, 'X');

/** A connector whose send never returns (a hung SMS or SMTP server); `claimed` resolves at the first send. */
export function hangingConnector(): { connector: Connector; claimed: Promise<void> } {
  let sending!: () => void;
  const claimed = new Promise<void>((resolve) => (sending = resolve));
  return {
    connector: {
      send: () => {
        sending();
        return new Promise(() => {});
      },
    },
    claimed,
  };
}
