// `npm run bench`: hk-idp against the bare oidc-provider and the bcrypt ceiling, in one run.
//
//   npm run bench -- [--duration 10] [--rounds 5] [--warmup 5] [--concurrency 16] [--members 500] [--cost 11]
//                    [--database postgres://…] [--preload 1000000] [--json bench-results.json]
//   npm run bench -- --instructions [--units 1]
//
// Each server runs in its own process pinned to core 0, this load generator to core 1 (when there
// are two cores and `taskset`). Workloads: discovery, userinfo, refresh (rotating chains, each strictly
// sequential) and the full code + PKCE sign-in with a password, over many members. A request workload
// runs in --rounds slices (default 5), the servers taking turns, after a --warmup of 5 s each. The
// table gives requests per second, p50/p99, the ratio to the baseline (and, for sign-in, to the bcrypt
// ceiling), the SQL queries per request hk-idp made, and each server's CPU time and garbage collection
// pauses per request; under it, the ratio in each round.
//
// With --instructions, each server runs under valgrind's callgrind instead, and the table gives the
// CPU instructions each server executes per request (all its threads), for a fixed number of requests
// after a warm-up: a count that other work on a shared machine moves far less than the rates (runs of
// the same code still differ by a few percent, as a major garbage collection falls inside the counted
// requests or not; --units 4 narrows it). It counts work, not time: what makes the same work slower
// (caches, the kernel) is not in it. Password hashing is at cost 4 there (its work at a real cost would
// be all of a sign-in's count).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CALLBACK, PASSWORD, type Ready } from './bench-shared.ts';

/** A mistake on the command line ends the run with its message (exit code 2), before anything starts. */
function usage(message: string): never {
  console.error(`npm run bench: ${message}`);
  process.exit(2);
}

const OPTIONS = {
  duration: { type: 'string', default: '10' },
  concurrency: { type: 'string', default: '16' },
  members: { type: 'string', default: '500' },
  // BCRYPT_COST's default, so the capacity figures hold for a default installation.
  cost: { type: 'string', default: '11' },
  database: { type: 'string' },
  preload: { type: 'string', default: '0' },
  json: { type: 'string', default: 'bench-results.json' },
  workloads: { type: 'string', default: 'discovery,userinfo,refresh,signin' },
  // Writes a V8 CPU profile of each hk-idp server (node --cpu-prof) into this folder.
  profile: { type: 'string' },
  // Only hk-idp, no baseline (for profiling; the table then has no ratios).
  'no-baseline': { type: 'boolean', default: false },
  // Instructions per request under callgrind instead of rates (see the top); --units scales the requests counted.
  instructions: { type: 'boolean', default: false },
  units: { type: 'string', default: '1' },
  // Each request workload's time in this many slices, the servers taking turns (see "The run").
  rounds: { type: 'string', default: '5' },
  // Seconds each server runs a workload unmeasured before its first slice (the JIT, caches, connections).
  warmup: { type: 'string', default: '5' },
} as const;
const args = (() => {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    // An unknown option, or one without its value.
    return usage((error as Error).message);
  }
})();
const WORKLOADS = ['discovery', 'userinfo', 'refresh', 'signin'] as const;
type WorkloadName = (typeof WORKLOADS)[number];
// The numbers and the workload list, checked before anything starts: a typo is a clear error, not a run of NaN.
const checked = z
  .object({
    duration: z.coerce.number().positive(),
    concurrency: z.coerce.number().int().min(1),
    members: z.coerce.number().int().min(1),
    cost: z.coerce.number().int().min(4).max(31),
    preload: z.coerce.number().int().min(0),
    units: z.coerce.number().positive(),
    rounds: z.coerce.number().int().min(1),
    warmup: z.coerce.number().min(0),
    // Run in this order whatever the order given: userinfo's tokens come from the first sign-ins, which
    // the library's in-memory adapter (1,000 entries) no longer holds after the refresh workload.
    workloads: z
      .string()
      .transform((list) => list.split(','))
      .pipe(z.array(z.enum(WORKLOADS)).min(1))
      .transform((names) => WORKLOADS.filter((name) => names.includes(name))),
  })
  .safeParse(args);
if (!checked.success) usage(checked.error.issues.map((issue) => `--${issue.path[0] as string}: ${issue.message}`).join('; '));
const options = checked.data;
const instructions = args.instructions!;
const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const { duration: seconds, concurrency, members, preload: preloadRows, workloads, rounds } = options;
const cost = instructions ? 4 : options.cost;
type Measured = {
  done: number;
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The rate of each slice (round), in the order run. */
  roundRates: number[];
  queriesPerRequest?: number;
  cpuPerRequestUs?: number;
  gcPausePerRequestUs?: number;
  instructionsPerRequest?: number;
  requestsPerUnit: number;
  /** Refresh: how many chains the measured slices refreshed (each slice its own, so rounds × concurrency). */
  chains?: number;
};
/** One stretch of a workload on one server: what a Measured sums up. */
type Slice = { latencies: number[]; failed: number; seconds: number; queries?: number; cpuMs?: number; gcMs?: number; chains?: number[] };
// Units counted per workload with --instructions (times --units), after a warm-up of as many again.
const COUNTED_UNITS: Record<WorkloadName, number> = { discovery: 1000, userinfo: 2000, refresh: 400, signin: 60 };
const countedUnits = (name: WorkloadName) => Math.max(concurrency, Math.round(COUNTED_UNITS[name] * options.units));
const callgrindDir = instructions ? mkdtempSync(join(tmpdir(), 'hk-idp-callgrind-')) : '';
type Target = { name: string; kind: 'hk' | 'baseline'; database?: string };

function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// (Under callgrind every thread runs on one core of valgrind's own: pinning means nothing there.)
const pinned = !instructions && canPin();
if (pinned) execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });

// Compares at once: the ceiling's, and the library's thread pool's (libuv's default 4 threads).
const HASHES_AT_ONCE = 4;

function startChild(options: Record<string, unknown>): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', BENCH_OPTIONS: JSON.stringify(options) };
  // Unpinned, hashes spread over the cores: hk-idp then hashes as many at once as the ceiling and the
  // library do (its own pool follows the cores and keeps two threads free), unless the caller chose.
  // Pinned, all of them share one core and the number at once does not matter.
  if (!pinned && options.kind === 'hk' && !env.HASH_POOL_SIZE && !env.UV_THREADPOOL_SIZE) {
    Object.assign(env, { HASH_POOL_SIZE: String(HASHES_AT_ONCE), UV_THREADPOOL_SIZE: String(HASHES_AT_ONCE + 2) });
  }
  const profile = args.profile && options.kind === 'hk' ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : [];
  const node = [process.execPath, ...profile, new URL('./bench-server.ts', import.meta.url).pathname];
  // Counted only between `callgrind_control -i on` and a dump (countInstructions); V8 writes machine code at run time (smc-check).
  const callgrind = ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${callgrindDir}/callgrind.%p`];
  const [command, ...rest] = instructions ? [...callgrind, ...node] : pinned ? ['taskset', '-c', '0', ...node] : node;
  return spawn(command!, rest, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * The CPU time a server process has used so far (ms, user + system, its threads included), where
 * Linux tells it: per request it is a measure that other work on a shared machine moves far less than
 * the rates (which count waiting for the core too).
 */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number) => reject(new Error(`bench server exited (${code}) before "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

// --- HTTP: keep-alive, no redirects followed, a cookie jar per simulated browser ---

const agent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });
type Response = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function send(url: URL, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

class Jar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  store(response: Response): void {
    for (const line of (response.headers['set-cookie'] as string[] | undefined) ?? []) {
      const pair = line.slice(0, line.indexOf(';') >>> 0);
      const index = pair.indexOf('=');
      const value = pair.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, index));
      else this.cookies.set(pair.slice(0, index), value);
    }
  }
}

const decode = (text: string) => text.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))).replace(/&amp;/g, '&').replace(/&quot;/g, '"');

type Tokens = { access_token: string; refresh_token: string };

/** One member's full sign-in: authorize, the login page, the password, the code, the token. */
async function signIn(ready: Ready, member: string): Promise<Tokens> {
  const base = new URL(ready.base);
  const jar = new Jar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('base64url');
  const auth = new URL('/auth', base);
  auth.search = new URLSearchParams({ client_id: ready.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile member', code_challenge: challenge, code_challenge_method: 'S256', state }).toString();
  const go = async (url: URL, init: { method?: string; body?: string } = {}) => {
    const headers: Record<string, string> = { cookie: jar.header(), 'accept-language': 'nb' };
    if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await send(url, { ...init, headers });
    jar.store(response);
    return response;
  };
  let response = await go(auth);
  let location = response.headers.location as string | undefined;
  if (!location) throw new Error(`authorize answered ${response.status}`);
  response = await go(new URL(location, base));
  const form = /<form[^>]*method="post"[^>]*action="([^"]*\/login)"[^>]*>([\s\S]*?)<\/form>/.exec(response.body);
  if (!form) throw new Error(`no login form (${response.status})`);
  const fields = new URLSearchParams(Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)])));
  fields.set('identifier', member);
  fields.set('password', PASSWORD);
  response = await go(new URL(decode(form[1]!), base), { method: 'POST', body: fields.toString() });
  location = response.headers.location as string | undefined;
  if (response.status !== 303 || !location) throw new Error(`login answered ${response.status}`);
  response = await go(new URL(location, base));
  location = response.headers.location as string | undefined;
  if (!location?.startsWith(CALLBACK)) throw new Error(`resume answered ${response.status} ${location ?? ''}`);
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  return token(ready, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
}

async function token(ready: Ready, params: Record<string, string>): Promise<Tokens> {
  const basic = Buffer.from(`${encodeURIComponent(ready.clientId)}:${encodeURIComponent(ready.secret)}`).toString('base64');
  const response = await send(new URL('/token', ready.base), {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  if (response.status !== 200) throw new Error(`token answered ${response.status}: ${response.body.slice(0, 200)}`);
  return JSON.parse(response.body) as Tokens;
}

// --- Workloads: `concurrency` workers, each doing one unit after another for the duration (or until so many units are done) ---

async function measure(limit: { ms: number } | { units: number }, unit: (worker: number) => Promise<void>): Promise<Slice> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: unknown;
  const started = performance.now();
  let left = 'units' in limit ? limit.units : Infinity;
  const more = 'ms' in limit ? () => performance.now() < started + limit.ms : () => left-- > 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (more()) {
        const t0 = performance.now();
        try {
          await unit(worker);
          latencies.push(performance.now() - t0);
        } catch (error) {
          failed++;
          firstError ??= error;
        }
      }
    }),
  );
  if (firstError) console.error(`  first failure: ${(firstError as Error).message}`);
  return { latencies, failed, seconds: (performance.now() - started) / 1000 };
}

/** The slices of a workload on one server as one result: rates over their summed time, latencies over all. */
function summarize(slices: Slice[], requestsPerUnit: number): Measured {
  const latencies = slices.flatMap((slice) => slice.latencies).sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  // Undefined when any slice lacks the figure (no /proc, or the baseline's uncounted queries).
  const sum = (pick: (slice: Slice) => number | undefined) => {
    let total = 0;
    for (const slice of slices) {
      const value = pick(slice);
      if (value === undefined) return undefined;
      total += value;
    }
    return total;
  };
  const perRequest = (total: number | undefined) => (total === undefined ? undefined : total / Math.max(1, latencies.length * requestsPerUnit));
  const cpuMs = sum((slice) => slice.cpuMs);
  return {
    done: latencies.length,
    failed: sum((slice) => slice.failed)!,
    perSecond: latencies.length / sum((slice) => slice.seconds)!,
    p50: at(0.5),
    p99: at(0.99),
    roundRates: slices.map((slice) => slice.latencies.length / slice.seconds),
    requestsPerUnit,
    queriesPerRequest: perRequest(sum((slice) => slice.queries)),
    cpuPerRequestUs: perRequest(cpuMs === undefined ? undefined : cpuMs * 1000),
    gcPausePerRequestUs: perRequest(sum((slice) => (slice.gcMs === undefined ? undefined : slice.gcMs * 1000))),
    chains: slices[0]!.chains && new Set(slices.flatMap((slice) => slice.chains!)).size,
  };
}

type Started = {
  /** What the slices measured so far add up to, workload by workload. */
  results(): Partial<Record<WorkloadName, Measured>>;
  ready: Ready;
  /** Its userinfo answer for the first member without the subject, claims sorted by name. */
  userinfo: Record<string, unknown>;
  warm(name: WorkloadName): Promise<void>;
  slice(name: WorkloadName, ms: number): Promise<void>;
  countInstructions(name: WorkloadName): Promise<void>;
  stop(): Promise<void>;
};

/** Starts a server and signs its workers in; `warm` and `slice` measure a workload on it, `stop` ends it. */
async function startTarget(target: Target): Promise<Started> {
  const child = startChild({ kind: target.kind, database: target.database, members, cost, preload: target.kind === 'hk' ? preloadRows : 0 });
  const ready = await nextMessage<Ready>(child, 'ready');
  // SQL queries (hk-idp's; undefined for the baseline) and garbage collection pauses (ms) so far.
  const counts = async () => (child.send({ type: 'counts' }), nextMessage<{ queries?: number; gcMs: number }>(child, 'counts'));
  // Every worker gets a signed-in member's tokens (userinfo) and a refresh chain of its own.
  const signInBatch = (from: number) => Promise.all(Array.from({ length: concurrency }, (_, i) => signIn(ready, ready.members[(from + i) % ready.members.length]!)));
  const sessions = await signInBatch(0);
  // Refresh chains, new ones (members signed in just before, unmeasured) for each slice after the
  // warm-up: the library's in-memory adapter walks every token of a grant on each save (README, the
  // `refresh` workload), so chains refreshed through the whole run would slow the baseline down as
  // it goes and flatter the ratio. (Signed in ahead, they would not last: that adapter keeps 1,000 entries.)
  // Each chain: the number of the sign-in it started from (for the JSON's count of chains) and its current token.
  let chains = sessions.map((s, i) => ({ id: i, token: s.refresh_token }));
  let stretches = 0;
  let nextMember = concurrency;
  // What a userinfo answer holds for the first member (the subject aside, which each server makes its
  // own): the servers must answer the same, or the ratio compares different work.
  const me = await send(new URL('/me', ready.base), { headers: { authorization: `Bearer ${sessions[0]!.access_token}` } });
  if (me.status !== 200) throw new Error(`userinfo answered ${me.status}`);
  const { sub: _sub, ...answer } = JSON.parse(me.body) as Record<string, unknown>;
  const userinfo = Object.fromEntries(Object.entries(answer).sort(([a], [b]) => a.localeCompare(b)));

  // `fresh` runs before each stretch of the workload (warm-up, slice, counted units), unmeasured.
  const units: Record<WorkloadName, { requests: number; unit: (worker: number) => Promise<void>; fresh?: () => Promise<void> }> = {
    discovery: {
      requests: 1,
      unit: async () => {
        const response = await send(new URL('/.well-known/openid-configuration', ready.base));
        if (response.status !== 200) throw new Error(`discovery answered ${response.status}`);
      },
    },
    userinfo: {
      requests: 1,
      unit: async (worker) => {
        const response = await send(new URL('/me', ready.base), { headers: { authorization: `Bearer ${sessions[worker]!.access_token}` } });
        if (response.status !== 200) throw new Error(`userinfo answered ${response.status}`);
      },
    },
    refresh: {
      requests: 1,
      fresh: async () => {
        if (stretches++ === 0) return;
        chains = (await signInBatch(nextMember)).map((s, i) => ({ id: nextMember + i, token: s.refresh_token }));
        nextMember += concurrency;
      },
      unit: async (worker) => {
        const chain = chains[worker]!;
        chain.token = (await token(ready, { grant_type: 'refresh_token', refresh_token: chain.token })).refresh_token;
      },
    },
    signin: {
      requests: 5,
      unit: async () => {
        await signIn(ready, ready.members[nextMember++ % ready.members.length]!);
      },
    },
  };
  const slices: Partial<Record<WorkloadName, Slice[]>> = {};
  const instructionCounts: Partial<Record<WorkloadName, number>> = {};
  function results(): Partial<Record<WorkloadName, Measured>> {
    const summed: Partial<Record<WorkloadName, Measured>> = {};
    for (const [name, done] of Object.entries(slices) as [WorkloadName, Slice[]][]) {
      summed[name] = { ...summarize(done, units[name].requests), instructionsPerRequest: instructionCounts[name] };
    }
    return summed;
  }
  /** A short warm-up (JIT, caches, connections), not counted. */
  async function warm(name: WorkloadName): Promise<void> {
    await units[name].fresh?.();
    await measure({ ms: options.warmup * 1000 }, units[name].unit);
  }
  /** One measured stretch of the workload (`results` sums a server's slices of it). */
  async function slice(name: WorkloadName, ms: number): Promise<void> {
    const { unit, fresh } = units[name];
    await fresh?.();
    const chainsMeasured = name === 'refresh' ? chains.map((chain) => chain.id) : undefined;
    const before = await counts();
    const cpuBefore = cpuMs(child.pid);
    const measured = await measure({ ms }, unit);
    const cpuAfter = cpuMs(child.pid);
    const after = await counts();
    if (before.queries !== undefined && after.queries !== undefined) measured.queries = after.queries - before.queries;
    measured.gcMs = after.gcMs - before.gcMs;
    if (cpuBefore !== undefined && cpuAfter !== undefined) measured.cpuMs = cpuAfter - cpuBefore;
    measured.chains = chainsMeasured;
    (slices[name] ??= []).push(measured);
    console.error(`  ${target.name} ${name}: ${fmt(measured.latencies.length / measured.seconds)}/s, ${measured.failed} failed`);
  }
  /** The instructions of a fixed number of units, after as many uncounted: callgrind counts from `-i on` to the dump. */
  async function countInstructions(name: WorkloadName): Promise<void> {
    const { requests, unit, fresh } = units[name];
    const count = countedUnits(name);
    await fresh?.();
    await measure({ units: count }, unit);
    await fresh?.();
    const control = (...flags: string[]) => execFileSync('callgrind_control', [...flags, String(child.pid)], { stdio: 'ignore' });
    control('-i', 'on');
    const measured = await measure({ units: count }, unit);
    control('-d');
    control('-i', 'off');
    // Each dump is a file of its own (callgrind.<pid>.<n>); its `totals:` line is the count since the last.
    const dumps = readdirSync(callgrindDir).filter((file) => file.startsWith(`callgrind.${child.pid}.`));
    const latest = dumps.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop();
    const totals = latest && /^totals: (\d+)/m.exec(readFileSync(join(callgrindDir, latest), 'utf8'));
    if (!totals) throw new Error(`no callgrind dump for ${target.name} ${name}`);
    slices[name] = [measured];
    instructionCounts[name] = Number(totals[1]) / Math.max(1, measured.latencies.length * requests);
    console.error(`  ${target.name} ${name}: ${fmt(instructionCounts[name], 0)} instructions / request, ${measured.failed} failed`);
  }
  async function stop(): Promise<void> {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return { results, ready, userinfo, warm, slice, countInstructions, stop };
}

async function bcryptCeiling(): Promise<number> {
  const child = startChild({ kind: 'bcrypt', cost, seconds: Math.max(3, seconds / 2), concurrency: HASHES_AT_ONCE });
  const { perSecond } = await nextMessage<{ perSecond: number }>(child, 'bcrypt');
  await new Promise((resolve) => child.once('exit', resolve));
  return perSecond;
}

// --- The run ---

console.error(
  instructions
    ? 'Counting instructions: every server under callgrind (valgrind), password hashing at cost 4.'
    : pinned
      ? 'Pinned: every server (and its bcrypt threads) on core 0, this load generator on core 1 (taskset).'
      : `Not pinned (${availableParallelism()} core(s) or no taskset): server and load share the cores; ratios are rougher.`,
);
const targets: Target[] = [{ name: 'oidc-provider (memory)', kind: 'baseline' }, { name: 'hk-idp SQLite', kind: 'hk' }];
if (args['no-baseline']) targets.shift();
if (args.database) targets.push({ name: 'hk-idp PostgreSQL', kind: 'hk', database: args.database });
const runs: ({ target: Target } & Started)[] = [];
for (const target of targets) {
  console.error(`${target.name}…`);
  runs.push({ target, ...(await startTarget(target)) });
}
const differing = runs.find((run) => JSON.stringify(run.userinfo) !== JSON.stringify(runs[0]!.userinfo));
if (differing) {
  console.error(`npm run bench: the servers answer userinfo differently (${runs[0]!.target.name}: ${JSON.stringify(runs[0]!.userinfo)}; ${differing.target.name}: ${JSON.stringify(differing.userinfo)})`);
  for (const { stop } of runs) await stop();
  process.exit(1);
}
// Workload by workload, the servers taking turns: a shared machine's speed drifts within a minute,
// so a request workload's time is cut into `rounds` slices and the servers run them in turn, the
// order reversed every round (A B, B A, …): both sides of a ratio meet the same machine. (The idle
// servers wait, pinned beside the busy one.) A sign-in flow takes seconds, so short slices would be
// mostly ramp-up and drain: its flows run in one stretch per server, the bcrypt ceiling measured
// before, between and after them, and each server's flows compared with the mean of the two
// ceilings on either side of its stretch.
const ceilings: number[] = [];
const measureCeiling = async () => {
  console.error(`bcrypt ceiling at cost ${cost}…`);
  ceilings.push(await bcryptCeiling());
};
const ceilingAround = new Map<Target, number>();
for (const name of workloads) {
  if (instructions) for (const { countInstructions } of runs) await countInstructions(name);
  else if (name === 'signin') {
    await measureCeiling();
    for (const { target, warm, slice } of runs) {
      await warm(name);
      await slice(name, seconds * 1000);
      await measureCeiling();
      ceilingAround.set(target, (ceilings.at(-2)! + ceilings.at(-1)!) / 2);
    }
  } else {
    for (const { warm } of runs) await warm(name);
    for (let round = 0; round < rounds; round++) {
      for (const { slice } of round % 2 ? [...runs].reverse() : runs) await slice(name, (seconds * 1000) / rounds);
    }
  }
}
const ceiling = ceilings.length ? ceilings.reduce((a, b) => a + b) / ceilings.length : NaN;
for (const { stop } of runs) await stop();
agent.destroy();
if (instructions) rmSync(callgrindDir, { recursive: true, force: true });

const baseline = runs[0]!.target.kind === 'baseline' ? runs[0]!.results() : {};
const rows: string[] = instructions
  ? ['| server | workload | instructions / request | × baseline | failed |', '|---|---|---:|---:|---:|']
  : [
      '| server | workload | per second | p50 ms | p99 ms | failed | × baseline | × bcrypt ceiling | SQL queries / request | server CPU µs / request | GC pauses µs / request |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ];
const report = [];
// How far the ratio moved between rounds: the spread a single figure of the table hides.
const spreads: string[] = [];
for (const { target, results } of runs) {
  const measured = results();
  for (const name of workloads) {
    const r = measured[name];
    if (!r) continue;
    if (instructions) {
      // As the rates' ratio: above 1 is less work than the library.
      const ratio = baseline[name]?.instructionsPerRequest ? baseline[name].instructionsPerRequest / r.instructionsPerRequest! : NaN;
      rows.push(`| ${target.name} | ${name} | ${fmt(r.instructionsPerRequest, 0)} | ${target.kind === 'baseline' ? '1.00' : fmt(ratio, 2)} | ${r.failed} |`);
      report.push({ server: target.name, workload: name, instructionsPerRequest: r.instructionsPerRequest, done: r.done, failed: r.failed, ratioToBaseline: ratio });
      continue;
    }
    const ratio = baseline[name] ? r.perSecond / baseline[name].perSecond : NaN;
    const roundRatios = target.kind === 'hk' && baseline[name] && r.roundRates.length > 1 ? r.roundRates.map((rate, i) => rate / baseline[name]!.roundRates[i]!) : undefined;
    if (roundRatios) spreads.push(`${target.name} ${name} ${roundRatios.map((x) => fmt(x, 2)).join(' ')}`);
    const toCeiling = name === 'signin' ? r.perSecond / ceilingAround.get(target)! : undefined;
    const unit = name === 'signin' ? 'flows' : 'req';
    rows.push(
      `| ${target.name} | ${name} | ${fmt(r.perSecond)} ${unit}/s | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.failed} | ${target.kind === 'baseline' ? '1.00' : fmt(ratio, 2)} | ${fmt(toCeiling, 2)} | ${fmt(r.queriesPerRequest, 1)} | ${fmt(r.cpuPerRequestUs, 0)} | ${fmt(r.gcPausePerRequestUs, 0)} |`,
    );
    report.push({ server: target.name, workload: name, ...r, ratioToBaseline: ratio, roundRatios, bcryptCeiling: name === 'signin' ? ceilingAround.get(target) : undefined, ratioToBcryptCeiling: toCeiling });
  }
}
const setting = `${concurrency} concurrent clients, ${members} members${preloadRows ? `, ${preloadRows.toLocaleString('en-US')} preloaded store rows` : ''}`;
const header = instructions
  ? `Instructions per request under callgrind (all of a server's threads), password hashing at cost ${cost}: ${workloads.map((name) => `${name} ${countedUnits(name)}`).join(', ')} units counted after as many uncounted; ${setting}. Sign-in = 5 requests (authorize, login page, password, resume, token).`
  : `bcrypt ceiling (cost ${cost}, ${pinned ? 'one core' : `${HASHES_AT_ONCE} at once, not pinned`}${ceilings.length ? `, before, between and after the servers' sign-ins: ${ceilings.map((c) => fmt(c)).join(', ')}; each server's flows compared with the mean of the two on either side` : ''}): ${fmt(ceiling)} compares/s on average. ${setting}, ${seconds} s per workload (${rounds > 1 ? `in ${rounds} rounds, the servers taking turns; sign-in in one stretch` : 'in one stretch'}); ${pinned ? 'server on core 0, load on core 1' : 'not pinned'}${args.database ? "; PostgreSQL's own processes are not pinned, and their CPU time is not in the servers' column" : ''}. Sign-in = 5 requests (authorize, login page, password, resume, token).`;
console.log(`\n${header}\n\n${rows.join('\n')}\n`);
if (spreads.length) console.log(`× baseline in each round:\n${spreads.map((line) => `  ${line}`).join('\n')}\n`);
for (const { target, ready } of runs) {
  if (!ready.plans) continue;
  console.log(`Query plans, ${target.name}${ready.preloaded ? ` (${ready.preloaded.rows.toLocaleString('en-US')} rows preloaded in ${ready.preloaded.seconds.toFixed(0)} s)` : ''}:`);
  for (const plan of ready.plans) {
    const verdict = plan.indexed ? 'index' : plan.rows < 1000 ? 'scan (small table)' : 'SCAN';
    console.log(`  ${verdict.padEnd(18)} ${plan.label} (${plan.rows.toLocaleString('en-US')} rows): ${plan.plan.join(' / ')}`);
  }
}
writeFileSync(
  args.json!,
  JSON.stringify({ at: new Date().toISOString(), mode: instructions ? 'instructions' : 'rates', pinned, cores: availableParallelism(), cost, concurrency, seconds, rounds, members, preload: preloadRows, bcryptCeiling: ceiling, bcryptCeilings: ceilings, results: report, userinfo: runs.map((r) => ({ server: r.target.name, answer: r.userinfo })), plans: runs.filter((r) => r.ready.plans).map((r) => ({ server: r.target.name, preloaded: r.ready.preloaded, plans: r.ready.plans })) }, null, 2),
);
console.log(`\nWritten to ${args.json}`);
