import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addClient, findClientMetadata, getClient, listClients, removeClient, rotateSecret, secretMatches, updateClient } from '../../../src/clients/clients.ts';
import { InputError } from '../../../src/errors.ts';
import type { Db } from '../../../src/storage/db.ts';
import { testDb } from '../../support/db.ts';

let db: Db;
let close: () => Promise<void>;
before(async () => ({ db, close } = await testDb()));
after(() => close());

const base = { name: 'Medlemssiden', login: 'member' as const, redirectUris: ['https://www.hk.no/cb'] };

test('redirect URIs: absolute, no fragment or wildcard, https in production (loopback excepted)', async () => {
  const bad = ['cb', 'https://www.hk.no/cb#x', 'https://*.hk.no/cb', 'javascript:alert(1)', 'https://user:pw@hk.no/cb'];
  for (const uri of bad) {
    await assert.rejects(addClient(db, { ...base, redirectUris: [uri] }, { production: false }), InputError, uri);
  }
  await assert.rejects(addClient(db, { ...base, redirectUris: ['http://www.hk.no/cb'] }, { production: true }), /https/);
  await addClient(db, { ...base, redirectUris: ['http://127.0.0.1:8080/cb'] }, { production: true });
  await addClient(db, { ...base, redirectUris: ['http://localhost/cb'] }, { production: true });
  await assert.rejects(addClient(db, { ...base, login: 'staff' as never }, { production: false }), /login/);
  await assert.rejects(addClient(db, { ...base, redirectUris: [] }, { production: false }), /redirect URI/);
  assert.equal((await listClients(db)).length, 2, 'nothing was written for the bad ones');
});

test('the secret is returned once and stored only as a hash', async () => {
  const { client, secret } = await addClient(db, base, { production: false });
  assert.ok(secret && secret.length >= 43, 'at least 256 bits');
  const row = await db('clients').where({ client_id: client.clientId }).first();
  assert.ok(!JSON.stringify(row).includes(secret));
  assert.ok(secretMatches(row!.secret_hash!, secret));
  assert.ok(!secretMatches(row!.secret_hash!, secret + 'x'));
  const metadata = await findClientMetadata(db, client.clientId);
  assert.equal(metadata?.token_endpoint_auth_method, 'client_secret_basic');
  assert.notEqual((metadata as { client_secret?: string }).client_secret, secret);
});

test('public clients have no secret and authenticate with none (PKCE)', async () => {
  const { client, secret } = await addClient(db, { ...base, public: true }, { production: false });
  assert.equal(secret, null);
  assert.equal((await findClientMetadata(db, client.clientId))?.token_endpoint_auth_method, 'none');
  await assert.rejects(rotateSecret(db, client.clientId), /public/);
});

test('rotate-secret: the new secret works, the old one does not', async () => {
  const { client, secret } = await addClient(db, base, { production: false });
  const fresh = await rotateSecret(db, client.clientId);
  const { secret_hash } = (await db('clients').where({ client_id: client.clientId }).first())!;
  assert.ok(secretMatches(secret_hash!, fresh));
  assert.ok(!secretMatches(secret_hash!, secret!));
});

test('update validates like add and changes nothing on bad input; remove deletes', async () => {
  const { client } = await addClient(db, base, { production: false });
  await assert.rejects(updateClient(db, client.clientId, { redirectUris: ['https://x#y'] }, { production: false }), InputError);
  assert.deepEqual((await getClient(db, client.clientId))?.redirectUris, base.redirectUris);
  const updated = await updateClient(db, client.clientId, { name: 'Nytt navn', firstParty: true, postLogoutRedirectUris: ['https://www.hk.no/'] }, { production: false });
  assert.equal(updated.name, 'Nytt navn');
  assert.equal(updated.firstParty, true);
  await assert.rejects(updateClient(db, client.clientId, { public: true }, { production: false }), /public/);
  await removeClient(db, client.clientId);
  assert.equal(await getClient(db, client.clientId), undefined);
  await assert.rejects(removeClient(db, client.clientId), InputError);
});

test('back-channel logout URI: validated like redirect URIs; session-required needs one; offered to the provider', async () => {
  const bad = ['logout', 'https://app.hk.no/logout#x', 'https://*.hk.no/logout', 'ftp://app.hk.no/logout'];
  for (const uri of bad) {
    await assert.rejects(addClient(db, { ...base, backchannelLogoutUri: uri }, { production: false }), InputError, uri);
  }
  await assert.rejects(addClient(db, { ...base, backchannelLogoutUri: 'http://app.hk.no/logout' }, { production: true }), /https/);
  await assert.rejects(addClient(db, { ...base, backchannelLogoutSessionRequired: true }, { production: false }), /back-channel logout URI/);
  const loopback = await addClient(db, { ...base, backchannelLogoutUri: 'http://127.0.0.1:9000/logout' }, { production: true });
  assert.equal(loopback.client.backchannelLogoutUri, 'http://127.0.0.1:9000/logout');
  assert.equal(loopback.client.backchannelLogoutSessionRequired, false);

  const { client } = await addClient(db, { ...base, backchannelLogoutUri: 'https://valg.hk.no/backchannel', backchannelLogoutSessionRequired: true }, { production: true });
  const metadata = (await findClientMetadata(db, client.clientId)) as Record<string, unknown>;
  assert.equal(metadata.backchannel_logout_uri, 'https://valg.hk.no/backchannel');
  assert.equal(metadata.backchannel_logout_session_required, true);
  assert.equal(metadata.require_auth_time, true, 'auth_time in every ID token');
  // An empty URI removes it (and session-required with it).
  const cleared = await updateClient(db, client.clientId, { backchannelLogoutUri: '', backchannelLogoutSessionRequired: false }, { production: true });
  assert.equal(cleared.backchannelLogoutUri, null);
  assert.equal(((await findClientMetadata(db, client.clientId)) as Record<string, unknown>).backchannel_logout_uri, undefined);
});
