// In production the development conveniences do not exist, even when DEV_OUTBOX=true lets messages
// go to the console: no outbox page (it would show codes to anyone), no demo, no open metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startIdp, type TestIdp } from '../support/idp.ts';

let idp: TestIdp;
before(async () => {
  idp = await startIdp({ NODE_ENV: 'production', ISSUER: 'https://127.0.0.1:{port}', TRUST_PROXY_HOPS: '1', DEV_OUTBOX: 'true', BCRYPT_COST: '10' });
});
after(() => idp.close());

test('no development outbox page, no demo app, no metrics without a token', async () => {
  assert.equal(idp.settings.mode, 'production');
  assert.equal(idp.settings.devOutbox, true, 'messages still go to the console');
  for (const path of ['/dev/outbox', '/demo', '/demo/login', '/metrics']) {
    const response = await fetch(`${idp.base}${path}`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(response.status, 404, path);
  }
  // The staff console's own client is the only one registered at start.
  assert.equal(await idp.db('clients').whereNot({ client_id: 'hk-console' }).count({ n: '*' }).then((rows) => Number(rows[0]!.n)), 0, 'no demo clients');
});
