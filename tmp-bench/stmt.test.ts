import { test } from 'node:test';
import { createMember } from '../test/support/accounts.ts';
import { Browser } from '../test/support/browser.ts';
import { startIdp } from '../test/support/idp.ts';
import { CALLBACK, registerRp } from '../test/support/rp.ts';
import { firstRow } from '../src/storage/direct.ts';
import { storedId, TOKEN_WITH_CONTEXT } from '../src/oidc/adapter.ts';

test('stmt', async () => {
  const idp = await startIdp();
  const rp = await registerRp(idp);
  const member = await createMember(idp, { password: 'fjordtur-til-lofoten' });
  const browser = new Browser();
  const { page, verifier, state } = await rp.start(browser);
  const cb = await browser.submit(page, { identifier: member.memberNumber!, password: 'fjordtur-til-lofoten' }, { stopAt: CALLBACK });
  const tokens = await rp.finish(cb.location!, verifier, state);
  const key = storedId(tokens.access_token);
  const row: any = await firstRow(idp.db, TOKEN_WITH_CONTEXT, ['AccessToken', key]);
  console.log('lengths', row.payload.length, row.g_payload?.length, row.s_payload?.length);
  const N = 20000;
  const time = async (label: string, f: () => Promise<unknown>) => { for (let i = 0; i < 2000; i++) await f(); const t = performance.now(); for (let i = 0; i < N; i++) await f(); console.log(label, ((performance.now() - t) * 1000 / N).toFixed(1), 'µs'); };
  const sep = async () => {
    await firstRow(idp.db, 'select payload, expires_at, consumed_at from oidc_store where model = ? and id = ? limit 1', ['AccessToken', key]);
    await firstRow(idp.db, 'select payload, expires_at, consumed_at from oidc_store where model = ? and id = ? limit 1', ['Grant', row.grant_key]);
    await firstRow(idp.db, 'select payload, expires_at, consumed_at from oidc_store where model = ? and uid = ? limit 1', ['Session', row.session_uid]);
    await firstRow(idp.db, 'select id, kind, status from accounts where id = ?', [member.id]);
  };
  for (let r = 0; r < 2; r++) {
    await time('join', () => firstRow(idp.db, TOKEN_WITH_CONTEXT, ['AccessToken', key]));
    await time('4 separate', sep);
    await time('token only', () => firstRow(idp.db, 'select payload, expires_at, consumed_at from oidc_store where model = ? and id = ? limit 1', ['AccessToken', key]));
    await time('parse3', async () => { JSON.parse(row.payload); JSON.parse(row.g_payload); JSON.parse(row.s_payload); });
    await time('storedId', async () => storedId(tokens.access_token));
  }
  await idp.close();
});
