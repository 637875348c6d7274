// One server of `npm run bench`, run as its own process so it can be pinned to a core: hk-idp in
// production mode, or a bare oidc-provider (in-memory adapter) as the baseline, or the bcrypt ceiling.
// It talks to scripts/bench.ts over the IPC channel: it says where it listens and which members,
// client and secret to use, and answers "how many SQL queries, and how many milliseconds of garbage
// collection pauses, so far" (the queries counted from knex's query events, the pauses from Node's
// `gc` performance entries, here in the bench, so production code carries no counter).
import { createLogger } from '../src/observability/logger.ts';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import knex from 'knex';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { oidcConfiguration } from '../config/oidc.ts';
import { loadSettings } from '../config/settings.ts';
import { accountClaims, fromRow, setPasswordHash, upsertMember, validateMember, type Account } from '../src/accounts/accounts.ts';
import { addClient } from '../src/clients/clients.ts';
import { createIdp, portOf } from '../src/server.ts';
import { preload, queryPlans } from './bench-preload.ts';
import { CALLBACK, PASSWORD, type Ready } from './bench-shared.ts';

type Options = { kind: 'hk' | 'baseline' | 'bcrypt'; database?: string; members: number; cost: number; preload: number; seconds?: number; concurrency?: number };

const options = JSON.parse(process.env.BENCH_OPTIONS ?? '{}') as Options;
const send = (message: unknown) => process.send!(message);
let queries = 0;
// The main thread's pauses for garbage collection (V8's helper threads are in the CPU time only).
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
let stop: () => Promise<void> = async () => {};

process.on('message', async (message: { type: string }) => {
  if (message.type === 'counts') send({ type: 'counts', queries: options.kind === 'hk' ? queries : undefined, gcMs });
  if (message.type === 'stop') {
    await stop();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

const memberNumber = (i: number) => String(3_000_000 + i);
/** Member i of the bench: what startHk adds to hk-idp (upsertMember), and the baseline keeps in memory. */
const benchMemberInput = (i: number) => ({ memberNumber: memberNumber(i), givenName: 'Kari', familyName: `Benk ${i}`, email: `benk${i}@example.org` });
/** The Account hk-idp makes of member i (its own validation and row mapping; the columns upsertMember leaves unset are null). */
function benchMember(id: string, i: number): Account {
  const unset = { email_verified_at: null, mobile_verified_at: null, username: null, password_hash: null, organization_number: null, organization_name: null };
  return fromRow({ ...unset, ...validateMember(benchMemberInput(i)), id, kind: 'member' });
}

if (options.kind === 'bcrypt') await bcryptCeiling();
else if (options.kind === 'hk') await startHk();
else await startBaseline();

/** Compares per second at the bench's cost on this core, as many at once as the thread pool runs. */
async function bcryptCeiling() {
  const hash = await bcrypt.hash('x'.repeat(64), options.cost);
  const end = Date.now() + (options.seconds ?? 10) * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: options.concurrency ?? 4 }, async () => {
      while (Date.now() < end) {
        await bcrypt.compare('x'.repeat(64), hash);
        done++;
      }
    }),
  );
  process.send!({ type: 'bcrypt', perSecond: done / ((Date.now() - started) / 1000) }, () => process.exit(0));
}

async function startHk() {
  const dataDir = mkdtempSync(join(tmpdir(), 'hk-idp-bench-'));
  let schema: string | undefined;
  const pg = options.database;
  if (pg) {
    schema = `bench_${randomBytes(4).toString('hex')}`;
    const admin = knex({ client: 'pg', connection: pg });
    await admin.raw(`CREATE SCHEMA ${schema}`);
    await admin.destroy();
  }
  const settings = loadSettings({
    NODE_ENV: 'production',
    ISSUER: 'http://127.0.0.1:0',
    DATABASE_URL: pg ?? `sqlite:${join(dataDir, 'bench.sqlite')}`,
    DATA_DIR: dataDir,
    // Production refuses a cost under 10; the bench sets a lower one (--cost 4, where the flow is
    // bounded by the main thread, not bcrypt) after the settings are read.
    BCRYPT_COST: String(Math.max(options.cost, 10)),
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    PASSWORD_PEPPER: randomBytes(32).toString('base64url'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    DEV_OUTBOX: 'true',
    // The load comes from one IP.
    SIGNIN_IP_FAILURES_PER_HOUR: '1000000',
    ...inherited(),
  });
  // The issuer needs the port: listen first on a free one, then build the server for it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = portOf(probe);
  await new Promise((resolve) => probe.close(resolve));
  const idp = await createIdp({ ...settings, bcryptCost: options.cost, issuer: `http://127.0.0.1:${port}` }, { schema, outboxIntervalMs: 0, print: () => {}, logger: createLogger({ mode: 'production', level: 'error' }) });
  idp.db.on('query', () => queries++);

  const { client, secret } = await addClient(
    idp.db,
    { name: 'Benk', login: 'member', firstParty: true, redirectUris: [CALLBACK] },
    { production: true },
  );
  // One hash for every member (the salt is irrelevant to the load); made through the server's hasher.
  const hash = await idp.hasher.hash(PASSWORD);
  const members: string[] = [];
  for (let i = 0; i < options.members; i++) {
    const { account } = await upsertMember(idp.db, benchMemberInput(i));
    await setPasswordHash(idp.db, account.id, hash);
    members.push(memberNumber(i));
  }
  let preloaded: Ready['preloaded'];
  if (options.preload > 0) preloaded = await preload(idp.db, options.preload, (line) => console.error(line));
  const plans = await queryPlans(idp.db);
  await idp.listen(port, '127.0.0.1');
  stop = async () => {
    await idp.close();
    if (pg) {
      const admin = knex({ client: 'pg', connection: pg });
      await admin.raw(`DROP SCHEMA ${schema} CASCADE`);
      await admin.destroy();
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  send({ type: 'ready', base: `http://127.0.0.1:${port}`, clientId: client.clientId, secret: secret!, members, plans, preloaded } satisfies Ready);
}

/** Settings the bench passes through to hk-idp (pool sizes, hash pool) from its own environment. */
function inherited(): Record<string, string> {
  const names = ['DATABASE_POOL_MAX', 'DATABASE_STATEMENT_TIMEOUT_MS', 'HASH_POOL_SIZE', 'HASH_QUEUE_MAX', 'UV_THREADPOOL_SIZE', 'REDIS_URL', 'REDIS_PREFIX'];
  return Object.fromEntries(names.filter((name) => process.env[name]).map((name) => [name, process.env[name]!]));
}

/**
 * The bare library: the same configuration (config/oidc.ts), its in-memory adapter, the same client,
 * and a login form that costs one bcrypt comparison at the same cost.
 */
async function startBaseline() {
  const clientId = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  const hash = await bcrypt.hash(PASSWORD, options.cost);
  // The members hk-idp's bench has (startHk), as the Account hk-idp makes of each: the baseline's
  // userinfo releases the same claims (`accountClaims`), so both answer with the same body.
  const accounts = new Map<string, { sub: string; hash: string; account: Account }>();
  for (let i = 0; i < options.members; i++) {
    const sub = randomUUID();
    accounts.set(memberNumber(i), { sub, hash, account: benchMember(sub, i) });
  }
  const bySub = new Map([...accounts.values()].map((account) => [account.sub, account]));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };

  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = portOf(probe);
  await new Promise((resolve) => probe.close(resolve));
  const issuer = `http://127.0.0.1:${port}`;
  const settings = loadSettings({ NODE_ENV: 'production', ISSUER: issuer, COOKIE_KEYS: randomBytes(32).toString('base64url'), PASSWORD_PEPPER: 'p'.repeat(32), KEY_ENCRYPTION_KEY: 'k'.repeat(32), DEV_OUTBOX: 'true', DATA_DIR: tmpdir() });
  const base = oidcConfiguration(settings, {
    logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
      ctx.body = form;
    },
    postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
      ctx.body = 'bye';
    },
  } as never);
  const configuration: Configuration = {
    ...base,
    clients: [{ client_id: clientId, client_secret: secret, redirect_uris: [CALLBACK], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }],
    jwks: { keys: [jwk as never] },
    async findAccount(_ctx, sub) {
      const account = bySub.get(sub);
      return account && { accountId: sub, claims: async () => accountClaims(account.account) as { sub: string } };
    },
    // First-party, as the hk-idp client: the grant is made without a consent page.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId);
      const grant = (grantId ? await oidc.provider.Grant.find(grantId) : undefined) ?? new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId });
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
    if (!match) return next();
    if (ctx.method === 'GET') {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      ctx.type = 'html';
      ctx.body = `<!doctype html><form method="post" action="/interaction/${details.uid}/login"><input type="hidden" name="csrf" value="x"><input name="identifier"><input name="password" type="password"></form>`;
      return;
    }
    const body = new URLSearchParams(await readBody(ctx.req));
    await provider.interactionDetails(ctx.req, ctx.res);
    const account = accounts.get(body.get('identifier') ?? '');
    const ok = await bcrypt.compare(body.get('password') ?? '', account?.hash ?? hash);
    if (!ok || !account) {
      ctx.status = 401;
      ctx.body = 'wrong';
      return;
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  send({ type: 'ready', base: issuer, clientId, secret, members: [...accounts.keys()] } satisfies Ready);
}

function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
