// The provider reads a client on every request; each instance reuses it for CLIENT_CACHE_MS, so an
// admin's change (a removed client, a rotated secret) reaches every instance within that time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addClient, removeClient, updateClient } from '../../../src/clients/clients.ts';
import { CLIENT_CACHE_MS, ClientAdapter } from '../../../src/oidc/adapter.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

test('a known client is read once per CLIENT_CACHE_MS; a change is seen after it; a removal too', async () => {
  let clock = 1_000_000;
  const adapter = new ClientAdapter(db, () => clock);
  const { client } = await addClient(db, { name: 'App', login: 'member', redirectUris: ['https://app.example/cb'] }, { production: false });
  let reads = 0;
  const count = (query: { sql: string }) => (reads += query.sql.includes('clients') ? 1 : 0);
  db.on('query', count);
  try {
    assert.equal((await adapter.find(client.clientId))?.client_name, 'App');
    assert.equal((await adapter.find(client.clientId))?.client_name, 'App');
    assert.equal(reads, 1, 'the second find came from the cache');

    await updateClient(db, client.clientId, { name: 'Renamed' }, { production: false });
    reads = 0;
    clock += CLIENT_CACHE_MS - 1;
    assert.equal((await adapter.find(client.clientId))?.client_name, 'App', 'still cached');
    clock += 1;
    assert.equal((await adapter.find(client.clientId))?.client_name, 'Renamed', 'read again once the time is up');

    await removeClient(db, client.clientId);
    clock += CLIENT_CACHE_MS;
    assert.equal(await adapter.find(client.clientId), undefined, 'a removed client is gone after the time');
  } finally {
    db.off('query', count);
  }
});

test('an unknown client id is not kept (the cache cannot be grown by guessing)', async () => {
  const adapter = new ClientAdapter(db, () => 0);
  let reads = 0;
  const count = () => reads++;
  db.on('query', count);
  try {
    assert.equal(await adapter.find('no-such-client'), undefined);
    assert.equal(await adapter.find('no-such-client'), undefined);
    assert.equal(reads, 2);
  } finally {
    db.off('query', count);
  }
});
