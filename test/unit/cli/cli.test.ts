import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { latestAudit } from '../../../src/audit/audit.ts';
import { runCli } from '../../../src/cli/run.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';
import { testSettings } from '../../support/idp.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { db, settings: testSettings(), out: (l) => out.push(l), err: (l) => err.push(l), actor: 'test' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('clients add prints the id and the secret once; list and show never show it; changes are audited', async () => {
  const added = await cli('clients', 'add', '--name', 'Uravstemning', '--login', 'member', '--redirect-uri', 'https://valg.hk.no/cb', '--redirect-uri', 'https://valg.hk.no/cb2', '--first-party');
  assert.equal(added.code, 0, added.err);
  const id = /client_id: (\S+)/.exec(added.out)![1]!;
  const secret = /client_secret: (\S+)/.exec(added.out)![1]!;
  assert.match(added.out, /redirect URIs: https:\/\/valg.hk.no\/cb https:\/\/valg.hk.no\/cb2/);
  const listed = await cli('clients', 'list');
  assert.match(listed.out, new RegExp(id));
  const shown = await cli('clients', 'show', id);
  assert.match(shown.out, /Uravstemning/);
  for (const output of [listed.out, shown.out]) assert.ok(!output.includes(secret));

  const rotated = await cli('clients', 'rotate-secret', id);
  assert.match(rotated.out, /client_secret: \S+/);
  const updated = await cli('clients', 'update', id, '--name', 'Valg', '--third-party');
  assert.match(updated.out, /first party: no/);
  assert.equal((await cli('clients', 'remove', id)).code, 0);
  const events = (await latestAudit(db, 10)).map((row) => row.event);
  assert.deepEqual(events.slice(0, 4), ['client.removed', 'client.updated', 'client.secret_rotated', 'client.added']);
  assert.ok(!JSON.stringify(await db('audit_log').select()).includes(secret));
});

test('bad input: a clear error, exit code non-zero, nothing written', async () => {
  const before = (await db('clients').count({ n: '*' }))[0]!.n;
  const bad = await cli('clients', 'add', '--name', 'X', '--login', 'member', '--redirect-uri', 'https://x.example/cb#frag');
  assert.equal(bad.code, 65);
  assert.match(bad.err, /fragment/);
  assert.equal((await cli('clients', 'add', '--bogus')).code, 65);
  assert.equal((await cli('nonsense')).code, 64);
  assert.equal((await db('clients').count({ n: '*' }))[0]!.n, before);
});

test('members import reports added, updated and rejected lines; members add adds one', async () => {
  const file = join(tmpdir(), `members-${process.pid}.csv`);
  writeFileSync(file, 'member_number,given_name,family_name,email,mobile,status\n4000001,Ola,Nordmann,,98765432,active\n40x,Bad,Line,,,active\n');
  const run = await cli('members', 'import', file);
  assert.equal(run.code, 0);
  assert.match(run.out, /added 1, updated 0, unchanged 0, rejected 1/);
  assert.match(run.out, /line 3: member_number/);
  const add = await cli('members', 'add', '--member-number', '4000002', '--given-name', 'Kari', '--family-name', 'Li', '--mobile', '98765433');
  assert.match(add.out, /added member 4000002/);
  const again = await cli('members', 'add', '--member-number', '4000002', '--given-name', 'Kari', '--family-name', 'Lie');
  assert.match(again.out, /updated member 4000002/);
  const tail = await cli('audit', 'tail', '--limit', '3');
  assert.match(tail.out, /member\.updated/);
});

test('clients add/update --backchannel-logout-uri and --backchannel-logout-session-required', async () => {
  const added = await cli('clients', 'add', '--name', 'Valg', '--login', 'member', '--redirect-uri', 'https://valg.hk.no/cb', '--backchannel-logout-uri', 'https://valg.hk.no/bc');
  assert.equal(added.code, 0, added.err);
  assert.match(added.out, /back-channel logout URI: https:\/\/valg\.hk\.no\/bc$/m);
  const id = /client_id: (\S+)/.exec(added.out)![1]!;
  const required = await cli('clients', 'update', id, '--backchannel-logout-session-required');
  assert.match(required.out, /back-channel logout URI: https:\/\/valg\.hk\.no\/bc \(session required/);
  const both = await cli('clients', 'update', id, '--backchannel-logout-session-required', '--no-backchannel-logout-session-required');
  assert.equal(both.code, 65);
  const bad = await cli('clients', 'update', id, '--backchannel-logout-uri', 'https://valg.hk.no/bc#frag');
  assert.equal(bad.code, 65);
  assert.match(bad.err, /fragment/);
  const cleared = await cli('clients', 'update', id, '--backchannel-logout-uri', '', '--no-backchannel-logout-session-required');
  assert.match(cleared.out, /back-channel logout URI: -$/m);
  const [updated] = await latestAudit(db, 1, { event: 'client.updated' });
  assert.deepEqual(updated!.detail.fields, ['backchannelLogoutUri', 'backchannelLogoutSessionRequired']);
});

test('members import --dry-run prints what would change and saves nothing; a missing file is a clear error', async () => {
  const file = join(tmpdir(), `members-dry-${process.pid}.csv`);
  writeFileSync(file, '\uFEFFmember_number;given_name;family_name;email;mobile;status\r\n4100001;Siri;Dahl;;;active\r\n4100002;Tor;Dahl;;;retired\r\n');
  const imports = async () => (await latestAudit(db, 1000, { event: 'members.imported' })).length;
  const before = await imports();
  const dry = await cli('members', 'import', file, '--dry-run');
  assert.equal(dry.code, 0, dry.err);
  assert.equal(dry.out, 'dry run, nothing saved: would have added 1, updated 0, unchanged 0, rejected 1\n  line 2: add 4100001\n  line 3: status must be active or inactive');
  assert.equal(await db('accounts').where({ member_number: '4100001' }).first(), undefined);
  assert.equal(await imports(), before, 'a dry run is not an import');
  const real = await cli('members', 'import', file);
  assert.match(real.out, /^added 1, updated 0, unchanged 0, rejected 1$/m);
  const missing = await cli('members', 'import', join(tmpdir(), 'no-such-file.csv'));
  assert.equal(missing.code, 65);
  assert.match(missing.err, /cannot read/);
});
