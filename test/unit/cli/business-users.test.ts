import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findBusinessUserByEmail } from '../../../src/accounts/business-users.ts';
import { latestAudit } from '../../../src/audit/audit.ts';
import { runCli } from '../../../src/cli/run.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';
import { testSettings } from '../../support/idp.ts';

describe('hk-idp business-users', () => {
  let db: Db;
  let close: () => Promise<void>;
  const settings = testSettings({ ISSUER: 'https://login.hk.example', TRUST_PROXY_HOPS: '1' });
  let out: string[] = [];
  let err: string[] = [];
  const run = (...argv: string[]) => {
    out = [];
    err = [];
    return runCli(['business-users', ...argv], { db, settings, out: (l) => out.push(l), err: (l) => err.push(l), actor: 'admin:ola' });
  };
  const file = (name: string, text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'hk-idp-cli-')), name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => ({ db, close } = await testDb()));
  after(() => close());

  test('add, then list', async () => {
    const args = ['--email', 'Anne@Firma.example', '--mobile', '412 00 001', '--given-name', 'Anne', '--family-name', 'Lie', '--organization-number', '987654321', '--organization-name', 'Firma AS'];
    assert.equal(await run('add', ...args), 0);
    assert.deepEqual(out, ['added business user anne@firma.example (invited)']);
    assert.equal(await run('add', ...args), 0);
    assert.deepEqual(out, ['updated business user anne@firma.example (invited)']);
    assert.equal(await run('list'), 0);
    assert.equal(out.length, 1);
    assert.match(out[0]!, /anne@firma\.example\s+invited\s+987654321\s+Firma AS\s+Anne Lie\s+\+4741200001/);
    const [row] = await latestAudit(db, 1, { event: 'business.updated' });
    assert.equal(row!.actor, 'admin:ola');
  });

  test('bad input: a clear error and nothing written', async () => {
    assert.equal(await run('add', '--email', 'ikke-epost', '--given-name', 'A', '--family-name', 'B', '--organization-number', '1', '--organization-name', 'C'), 65);
    assert.match(err.join('\n'), /email is not a valid address.*organization_number must be 9 digits/);
    assert.equal(await findBusinessUserByEmail(db, 'ikke-epost'), undefined);
    assert.equal(await run('add', '--unknown-flag'), 65);
    assert.equal(await run('nonsense'), 64);
  });

  test('import reports like the member import; --invite e-mails those who have not activated', async () => {
    const csv = file(
      'users.csv',
      'email,mobile,given_name,family_name,organization_number,organization_name\n' +
        'a1@firma.example,,A,En,987654321,Firma AS\n' +
        'a2@firma.example,41200002,B,To,987654321,Firma AS\n' +
        'feil,,C,Tre,987654321,Firma AS\n',
    );
    assert.equal(await run('import', csv, '--invite'), 0);
    assert.equal(out[0], 'added 2, updated 0, unchanged 0, rejected 1');
    assert.match(out[1]!, /line 4: email is not a valid address/);
    assert.equal(out.filter((line) => line.startsWith('invited ')).length, 2);
    const invitations = await db('outbox').where({ kind: 'business_invitation' });
    assert.deepEqual(invitations.map((m: { recipient: string }) => m.recipient).sort(), ['a1@firma.example', 'a2@firma.example']);
    for (const m of invitations) assert.ok(JSON.parse(m.params!).link.startsWith('https://login.hk.example/business/invitation/'));
    const [imported] = await latestAudit(db, 1, { event: 'business.imported' });
    assert.deepEqual(imported!.detail, { added: 2, updated: 0, unchanged: 0, rejected: 1 });
    assert.equal((await latestAudit(db, 10, { event: 'business.invited' })).length, 2);
  });

  test('invite, disable, enable', async () => {
    assert.equal(await run('invite', 'A1@firma.example'), 0);
    assert.match(out[0]!, /^invited a1@firma\.example \(link valid until /);
    assert.equal(await run('disable', 'a1@firma.example'), 0);
    assert.equal((await findBusinessUserByEmail(db, 'a1@firma.example'))!.status, 'disabled');
    assert.equal(await run('invite', 'a1@firma.example'), 65, 'a disabled user cannot be invited');
    assert.match(err[0]!, /is disabled/);
    assert.equal(await run('list', '--status', 'disabled'), 0);
    assert.equal(out.length, 1);
    assert.equal(await run('enable', 'a1@firma.example'), 0);
    assert.equal((await findBusinessUserByEmail(db, 'a1@firma.example'))!.status, 'invited');
    assert.equal(await run('disable', 'ingen@firma.example'), 65);
    const events = (await latestAudit(db, 3)).map((row) => row.event);
    assert.deepEqual(events, ['business.enabled', 'business.disabled', 'business.invited']);
  });
});
