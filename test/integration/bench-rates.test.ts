// `npm run bench` (rates): the request workloads run in rounds, the servers taking turns, and the
// table's figures are what the rounds add up to; each server's sign-in flows run in one stretch,
// between two measurements of the bcrypt ceiling. A tiny run: it proves the arithmetic and the turns, not speed.
// And a mistyped option is refused before anything starts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { usingPostgres } from '../support/idp.ts';

type Row = {
  server: string;
  workload: string;
  done: number;
  failed: number;
  perSecond: number;
  roundRates: number[];
  roundRatios?: number[];
  ratioToBaseline: number;
  bcryptCeiling?: number;
  ratioToBcryptCeiling?: number;
  queriesPerRequest?: number;
  cpuPerRequestUs?: number;
  gcPausePerRequestUs?: number;
  chains?: number;
};

// (The bench runs hk-idp on its own SQLite whatever the suite's database: once is enough.)
const skip = usingPostgres() ? 'the bench does not use TEST_DATABASE_URL (run in the SQLite pass)' : false;

test('the bench measures in rounds, the servers taking turns, and sums the rounds up', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-bench-test-'));
  try {
    const json = join(dir, 'bench.json');
    const bench = new URL('../../scripts/bench.ts', import.meta.url).pathname;
    const args = ['--duration', '1.5', '--rounds', '3', '--warmup', '0.3', '--members', '20', '--cost', '4', '--workloads', 'signin,refresh,userinfo', '--json', json];
    const { stdout } = await promisify(execFile)(process.execPath, [bench, ...args], { maxBuffer: 1 << 24 });
    const report = JSON.parse(readFileSync(json, 'utf8')) as { mode: string; rounds: number; bcryptCeiling: number; bcryptCeilings: number[]; results: Row[]; userinfo: { server: string; answer: Record<string, unknown> }[] };
    assert.equal(report.mode, 'rates');
    // Both answer userinfo with hk-idp's claims of the same member: the ratio compares the same answer.
    assert.deepEqual(report.userinfo.map((u) => u.server), ['oidc-provider (memory)', 'hk-idp SQLite']);
    for (const { server, answer } of report.userinfo) {
      assert.deepEqual(
        answer,
        { family_name: 'Benk 0', given_name: 'Kari', member_number: '3000000', membership_status: 'active', name: 'Kari Benk 0', preferred_username: 'benk0@example.org' },
        server,
      );
    }
    assert.equal(report.rounds, 3);
    const row = (server: string, workload: string) => report.results.find((r) => r.server === server && r.workload === workload)!;
    const base = row('oidc-provider (memory)', 'userinfo');
    const hk = row('hk-idp SQLite', 'userinfo');
    for (const r of [base, hk]) {
      assert.equal(r.failed, 0, r.server);
      assert.equal(r.roundRates.length, 3, r.server);
      assert.ok(r.roundRates.every((rate) => rate > 0), `${r.server}: ${r.roundRates}`);
      // The whole is the requests over the summed time: it lies within its rounds' rates.
      assert.ok(r.perSecond >= Math.min(...r.roundRates) - 1e-9 && r.perSecond <= Math.max(...r.roundRates) + 1e-9, `${r.server}: ${r.perSecond} vs ${r.roundRates}`);
      assert.ok(r.cpuPerRequestUs === undefined || r.cpuPerRequestUs > 0, r.server);
      // Thousands of requests collect garbage: every server reports its pauses (from its own gc entries).
      assert.ok(r.gcPausePerRequestUs! > 0, `${r.server}: GC pauses ${r.gcPausePerRequestUs}`);
    }
    // Refresh chains start anew for each slice (members signed in between the slices); none fails on
    // either server, the library's small in-memory store included.
    for (const server of ['oidc-provider (memory)', 'hk-idp SQLite']) {
      const refresh = row(server, 'refresh');
      assert.equal(refresh.failed, 0, `${server} refresh`);
      assert.equal(refresh.roundRates.length, 3, `${server} refresh`);
      assert.ok(refresh.roundRates.every((rate) => rate > 0), `${server} refresh: ${refresh.roundRates}`);
      assert.equal(refresh.chains, 3 * 16, `${server}: 16 chains of their own in each of the 3 slices`);
    }
    assert.equal(base.queriesPerRequest, undefined, 'the baseline has no SQL');
    assert.equal(hk.ratioToBaseline, hk.perSecond / base.perSecond);
    assert.deepEqual(hk.roundRatios, hk.roundRates.map((rate, i) => rate / base.roundRates[i]!));
    // One statement a userinfo request, counted from knex's events across the rounds (the outbox
    // worker's poll, once a second, may fall inside).
    assert.ok(hk.queriesPerRequest! >= 1 && hk.queriesPerRequest! < 1.2, `queries per userinfo: ${hk.queriesPerRequest}`);
    assert.match(stdout, /× baseline in each round:\n {2}hk-idp SQLite userinfo( \d\.\d\d){3}\n/);

    // Sign-in flows take seconds: one stretch a server, with the bcrypt ceiling measured before,
    // between and after them; each server's flows are compared with the two ceilings around them.
    assert.equal(report.bcryptCeilings.length, 3);
    const servers = ['oidc-provider (memory)', 'hk-idp SQLite'];
    servers.forEach((server, i) => {
      const signin = row(server, 'signin');
      assert.equal(signin.failed, 0, server);
      assert.ok(signin.done > 0, server);
      assert.equal(signin.roundRates.length, 1, server);
      assert.equal(signin.roundRatios, undefined, server);
      const around = (report.bcryptCeilings[i]! + report.bcryptCeilings[i + 1]!) / 2;
      assert.equal(signin.bcryptCeiling, around, server);
      assert.equal(signin.ratioToBcryptCeiling, signin.perSecond / around, server);
    });
    assert.equal(report.bcryptCeiling, report.bcryptCeilings.reduce((a, b) => a + b) / 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bench refuses a mistyped option at once, with what is wrong, and writes nothing', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-bench-test-'));
  try {
    const json = join(dir, 'bench.json');
    const bench = new URL('../../scripts/bench.ts', import.meta.url).pathname;
    const cases: [string[], RegExp][] = [
      [['--duration', 'abc'], /--duration: .*expected number/],
      [['--rounds', '0'], /--rounds: .*>=1/],
      [['--workloads', 'userinfo,logins'], /--workloads: .*expected one of "discovery"\|"userinfo"\|"refresh"\|"signin"/],
      [['--cost', '3'], /--cost: .*>=4/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const failure = await promisify(execFile)(process.execPath, [bench, ...args, '--json', json]).then(
        () => assert.fail(`${args.join(' ')} was accepted`),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failure.code, 2, args.join(' '));
      assert.match(failure.stderr, /^npm run bench: /, args.join(' '));
      assert.match(failure.stderr, message, args.join(' '));
      assert.ok(!existsSync(json), `${args.join(' ')} wrote ${json}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
