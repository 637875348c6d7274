import { test } from 'node:test';
import { createMember } from '../test/support/accounts.ts';
import { Browser } from '../test/support/browser.ts';
import { startIdp } from '../test/support/idp.ts';
import { CALLBACK, registerRp } from '../test/support/rp.ts';
import { storedId, TOKEN_WITH_CONTEXT } from '../src/oidc/adapter.ts';
import { DatabaseSync } from 'node:sqlite';

test('arr', async () => {
  const idp = await startIdp();
  const rp = await registerRp(idp);
  const member = await createMember(idp, { password: 'fjordtur-til-lofoten' });
  const browser = new Browser();
  const { page, verifier, state } = await rp.start(browser);
  const cb = await browser.submit(page, { identifier: member.memberNumber!, password: 'fjordtur-til-lofoten' }, { stopAt: CALLBACK });
  const tokens = await rp.finish(cb.location!, verifier, state);
  const key = storedId(tokens.access_token);
  const file = (idp.settings.databaseUrl as string).replace(/^sqlite:/, '');
  const db = new DatabaseSync(file);
  const s1 = db.prepare(TOKEN_WITH_CONTEXT);
  const s2 = db.prepare(TOKEN_WITH_CONTEXT); (s2 as any).setReturnArrays(true);
  const s3 = db.prepare('select payload, expires_at, consumed_at from oidc_store where model = ? and id = ?');
  const N = 50000;
  const time = (label: string, f: () => unknown) => { for (let i = 0; i < 5000; i++) f(); const t = performance.now(); for (let i = 0; i < N; i++) f(); console.log(label, ((performance.now() - t) * 1000 / N).toFixed(2), 'µs'); };
  for (let r = 0; r < 3; r++) {
    time('join objects', () => s1.get('AccessToken', key));
    time('join arrays', () => s2.get('AccessToken', key));
    time('token only', () => s3.get('AccessToken', key));
  }
  db.close();
  await idp.close();
});
