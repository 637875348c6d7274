// Graceful shutdown with two instances on one database (a SQLite file, or one PostgreSQL schema with
// TEST_DATABASE_URL): a sign-in in flight when the shutdown begins finishes with its code, the
// readiness probe says 503 at once, new connections are refused after the grace period, and a
// message the stopping instance had claimed is sent by the other one. Then the same with a real
// process and a real SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { createPasswordHasher } from '../../src/accounts/passwords.ts';
import { addClient } from '../../src/clients/clients.ts';
import type { Connector, MessageRequest } from '../../src/delivery/delivery.ts';
import { upsertMember, setPasswordHash } from '../../src/accounts/accounts.ts';
import { migrate, openDatabase } from '../../src/storage/db.ts';
import { createMember } from '../support/accounts.ts';
import { Browser, decode } from '../support/browser.ts';
import { createOutboxWorker } from '../../src/delivery/outbox.ts';
import { recordOrder, type OrderHandler } from '../../src/delivery/orders.ts';
import { testDb } from '../support/db.ts';
import { enqueueTest, hangingConnector, newCode, outboxRow, testTemplates } from '../support/delivery.ts';
import { freePort, freshDatabase, startIdpOn, testSettings } from '../support/idp.ts';
import { CALLBACK, registerRp } from '../support/rp.ts';

const PASSWORD = 'skift-uten-avbrudd-42';

/** Resolves once `probe` resolves true; bounded, so a broken shutdown fails the test instead of hanging it. */
async function eventually(probe: () => Promise<boolean>, what: string, limitMs = 15_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const refused = (url: string) =>
  fetch(url).then(
    () => false,
    (error: { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
  );

/** The token request a relying app makes, sent to the instance of our choice. */
async function redeem(base: string, rp: { clientId: string; secret: string | null }, code: string, verifier: string) {
  const response = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

test('shutdown: the sign-in in flight completes, readiness drops at once, the claimed message goes out from the other instance', async () => {
  const database = await freshDatabase();
  const sent: Array<MessageRequest & { by: string }> = [];
  const { connector: hangs, claimed: claimedNow } = hangingConnector();
  const records: Connector = { send: async (message) => void sent.push({ ...message, by: 'b' }) };
  // A grace period long enough that the probe below lands inside it even on a loaded machine.
  // And a timeout long enough for the held sign-in to finish after the grace, however slow the machine.
  const env = { SHUTDOWN_GRACE: '2', SHUTDOWN_TIMEOUT: '5' };
  const a = await startIdpOn(database, env, { connector: hangs, messageTemplates: testTemplates, outboxIntervalMs: 0 });
  // The second instance behind the same load balancer: same issuer, its own port.
  const b = await startIdpOn(database, { ...env, ISSUER: a.issuer }, { connector: records, messageTemplates: testTemplates, outboxIntervalMs: 0 });
  try {
    const rp = await registerRp(a);
    const member = await createMember(a, { password: PASSWORD });

    // A sign-in whose password check is under way (held) on instance A.
    let entered!: () => void;
    const hashing = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const verify = a.hasher.verify;
    a.hasher.verify = async (...args) => {
      entered();
      await gate;
      return verify(...args);
    };
    const browser = new Browser();
    const { page, verifier } = await rp.start(browser);
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[\s\S]*?<input type="hidden" name="csrf" value="([^"]*)"/.exec(page.html)!;
    const inFlight = browser.request(new URL(decode(form[1]!), page.url), { form: { csrf: decode(form[2]!), identifier: member.memberNumber!, password: PASSWORD } });
    await hashing;

    // A message claimed by A, whose send hangs.
    const code = newCode();
    const id = await enqueueTest(a, Date.now(), { channel: 'sms', to: '+4791234567', code });
    void a.outbox.deliverDue();
    await claimedNow;

    const stopping = a.shutdown();
    const ready = await fetch(`${a.base}/readyz`);
    assert.equal(ready.status, 503, 'readiness drops the moment the shutdown begins');
    assert.deepEqual(await ready.json(), { status: 'shutting_down' });
    assert.equal((await fetch(`${b.base}/readyz`)).status, 200, 'the other instance stays ready');

    // After the grace period A takes no new connection, while the sign-in is still in flight.
    let answered = false;
    void inFlight.then(() => (answered = true));
    await eventually(() => refused(`${a.base}/healthz`), 'A to refuse new connections');
    assert.equal(answered, false, 'the sign-in is still waiting on its hash');

    release();
    const result = await inFlight;
    assert.equal(result.status, 303, 'the sign-in finished with its redirect');
    // The load balancer sends the rest of the flow to B.
    const onB = (url: string) => url.replace(a.base, b.base);
    const back = await browser.go(onB(result.location!), {}, CALLBACK);
    const callback = new URL(back.location!);
    assert.equal(callback.origin + callback.pathname, CALLBACK);
    const tokens = await redeem(b.base, rp, callback.searchParams.get('code')!, verifier);
    assert.equal(tokens.status, 200);
    assert.ok(tokens.body.access_token);

    await stopping;
    const released = await outboxRow(b, id);
    assert.equal(released.status, 'pending', 'A handed back its claim');
    assert.equal(released.claimed_by, null);
    assert.equal(await b.outbox.deliverDue(), 1);
    assert.deepEqual(sent.map((m) => [m.by, m.to, m.params.code]), [['b', '+4791234567', code]]);
    assert.equal((await outboxRow(b, id)).attempts, 1, 'the handed-back claim is not counted as an attempt');
  } finally {
    await b.close();
    await a.close();
    await database.drop();
  }
});

test('shutdown with a backlog of orders: the stopping instance claims no more and hands back the one it holds; the other fulfils them at once', async () => {
  const { db, close } = await testDb();
  try {
    const log = () => {};
    const noSend: Connector = { send: async () => {} };
    const fulfilled: Array<[string, number]> = [];
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A's fulfilment of its first order hangs until the gate opens; B's goes straight through.
    const handler =
      (by: string): OrderHandler =>
      async (order, claim) => {
        if (by === 'a') {
          entered();
          await gate;
        }
        await db.transaction(async (trx) => {
          if (await claim(trx)) fulfilled.push([by, order.id]);
        });
      };
    const worker = (by: string) => createOutboxWorker({ db, connector: noSend, now: Date.now, log, orders: { first_time_password: handler(by), business_code: handler(by) } });
    const a = worker('a');
    const b = worker('b');
    for (let i = 0; i < 3; i++) {
      await recordOrder(db, { kind: 'first_time_password', memberNumber: `770000${i}`, channel: 'sms', contact: '+4791234567', language: 'nb', ip: null, clientId: null, context: {} }, Date.now());
    }
    const ids = (await db('orders').orderBy('id').pluck('id')).map(Number);

    const running = a.deliverDue();
    await inHandler;
    assert.equal((await db('orders').where({ id: ids[0] }).first())!.claimed_by === null, false, 'A holds the oldest order');
    // A stops while its fulfilment hangs: after the wait it hands the order back.
    await a.stop({ waitMs: 0 });
    assert.deepEqual(await db('orders').whereNotNull('claimed_by').pluck('id'), [], 'nothing is left claimed');
    // The hung fulfilment ends; A claims nothing more, and its late claim of the handed-back order fails.
    release();
    await running;
    assert.deepEqual(fulfilled, [], 'the stopping instance fulfilled nothing');
    assert.equal(Number((await db('orders').count({ n: '*' }).first())!.n), 3);
    // B, without waiting for any lease, fulfils all three, each once.
    await b.deliverDue();
    assert.deepEqual(fulfilled, ids.map((id) => ['b', id]));
    assert.equal(Number((await db('orders').count({ n: '*' }).first())!.n), 0);
  } finally {
    await close();
  }
});

test('SIGTERM to a real process: readiness 503, the request in flight completes, then the process exits 0', async () => {
  const database = await freshDatabase();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // A schema travels in the URL for the child process (libpq's `options`).
  const databaseUrl = database.schema ? `${database.databaseUrl}?options=${encodeURIComponent(`-c search_path=${database.schema}`)}` : database.databaseUrl;
  const settings = testSettings({ DATABASE_URL: database.databaseUrl, DATA_DIR: database.dataDir });
  const db = openDatabase(database.databaseUrl, { schema: database.schema });
  await migrate(db);
  const hasher = createPasswordHasher(settings.passwordPepper, settings.bcryptCost);
  const { account } = await upsertMember(db, { memberNumber: '7700001', givenName: 'Signe', familyName: 'Term' });
  await setPasswordHash(db, account.id, await hasher.hash(PASSWORD));
  const { client } = await addClient(db, { name: 'App', login: 'member', firstParty: true, public: true, redirectUris: [CALLBACK] }, { production: false });

  const child = spawn(process.execPath, ['src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: String(port),
      ISSUER: base,
      DATABASE_URL: databaseUrl,
      DATA_DIR: database.dataDir,
      COOKIE_KEYS: settings.cookieKeys.join(','),
      PASSWORD_PEPPER: settings.passwordPepper,
      KEY_ENCRYPTION_KEY: settings.keyEncryptionKey,
      BCRYPT_COST: String(settings.bcryptCost),
      DEMO: 'false',
      // Long enough that the readiness probe below lands inside it even on a loaded machine.
      SHUTDOWN_GRACE: '3',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await eventually(async () => /listening on port/.test(output), `the server to start:\n${output}`, 30_000);

    const browser = new Browser();
    const auth = new URL(`${base}/auth`);
    auth.search = new URLSearchParams({ client_id: client.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', state: 'st-1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    const page = await browser.go(auth);
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[\s\S]*?<input type="hidden" name="csrf" value="([^"]*)"/.exec(page.html)!;
    const target = new URL(decode(form[1]!), page.url);
    const body = new URLSearchParams({ csrf: decode(form[2]!), identifier: '7700001', password: PASSWORD }).toString();

    // The request is under way (headers and all but the last byte sent) when SIGTERM arrives.
    let finishRequest!: () => void;
    const cookie = [...browser.cookies].map(([name, c]) => `${name}=${c.value}`).join('; ');
    const response = new Promise<{ status: number; location?: string }>((resolve, reject) => {
      const req = httpRequest(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, location: res.headers.location });
      });
      req.on('error', reject);
      req.write(body.slice(0, -1));
      finishRequest = () => req.end(body.slice(-1));
    });
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    child.kill('SIGTERM');
    await eventually(async () => (await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) === 503, 'readiness to drop');

    finishRequest();
    const answer = await response;
    assert.equal(answer.status, 303, `the sign-in in flight finished:\n${output}`);
    assert.match(answer.location ?? '', /\/auth\//);

    assert.equal(await exited, 0, output);
    assert.equal(await refused(`${base}/healthz`), true, 'nothing listens any more');
    const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    assert.ok(lines.some((line) => line.msg === 'shutdown: done'));
    assert.ok(lines.some((line) => line.kind === 'access' && line.route === '/interaction/:uid/login' && line.status === 303));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await db.destroy();
    await database.drop();
  }
});
