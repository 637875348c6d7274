// Members imported with the old system's bcrypt hashes sign in over HTTP, and the hash is upgraded.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { findMemberByNumber } from '../../src/accounts/accounts.ts';
import { runCli } from '../../src/cli/run.ts';
import { Browser } from '../support/browser.ts';
import { CALLBACK, serverWithApp } from '../support/rp.ts';

// PHP's manual example for password_verify(): password_hash('rasmuslerdorf', PASSWORD_DEFAULT).
const PHP_HASH = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';

describe('imported legacy hashes', () => {
  const server = serverWithApp();

  test('a $2y$ hash from the import signs in over HTTP and is upgraded to hk1$', async () => {
    const file = join(tmpdir(), `legacy-${process.pid}.csv`);
    writeFileSync(file, `member_number,given_name,family_name,email,mobile,status,password_hash\n7300001,Rasmus,Lerdorf,,,active,${PHP_HASH}\n`);
    const out: string[] = [];
    const code = await runCli(['members', 'import', file], { db: server.idp.db, settings: server.idp.settings, out: (l) => out.push(l), err: (l) => out.push(l), actor: 'test' });
    assert.equal(code, 0, out.join('\n'));
    assert.equal((await findMemberByNumber(server.idp.db, '7300001'))!.passwordHash, PHP_HASH);

    const browser = new Browser();
    const { page, verifier, state } = await server.rp.start(browser);
    const result = await browser.submit(page, { identifier: '7300001', password: 'rasmuslerdorf' }, { stopAt: CALLBACK });
    assert.ok(result.location?.startsWith(CALLBACK), `expected a redirect to the app, got ${result.status}`);
    assert.ok((await server.rp.finish(result.location!, verifier, state)).id_token);
    assert.match((await findMemberByNumber(server.idp.db, '7300001'))!.passwordHash!, /^hk1\$/);
  });
});
