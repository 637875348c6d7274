// `npm run bench -- --instructions`: each server under callgrind, the instructions of a fixed number of
// requests counted after a warm-up: it counts the requests asked for, reports a real count per request
// for each server, and compares hk-idp's with the library's.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { usingPostgres } from '../support/idp.ts';

function missingValgrind(): string | false {
  try {
    execFileSync('callgrind_control', ['-h'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'valgrind (callgrind_control) is not installed';
  }
}

// (The bench runs hk-idp on its own SQLite whatever the suite's database: once is enough.)
const skip = usingPostgres() ? 'the bench does not use TEST_DATABASE_URL (run in the SQLite pass)' : missingValgrind();

test('the bench counts the instructions per request of the library and of hk-idp', { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-bench-test-'));
  try {
    const json = join(dir, 'bench.json');
    const bench = new URL('../../scripts/bench.ts', import.meta.url).pathname;
    // 40 userinfo requests and 16 refreshes (one per client) counted on each server.
    await promisify(execFile)(process.execPath, [bench, '--instructions', '--units', '0.02', '--members', '20', '--workloads', 'userinfo,refresh', '--json', json], { maxBuffer: 1 << 24 });
    const report = JSON.parse(readFileSync(json, 'utf8')) as { mode: string; cost: number; results: { server: string; workload: string; instructionsPerRequest: number; done: number; failed: number; ratioToBaseline: number }[] };
    assert.equal(report.mode, 'instructions');
    assert.equal(report.cost, 4);
    const row = (server: string, workload: string) => report.results.find((r) => r.server === server && r.workload === workload)!;
    for (const server of ['oidc-provider (memory)', 'hk-idp SQLite']) {
      const userinfo = row(server, 'userinfo');
      const refresh = row(server, 'refresh');
      assert.deepEqual([userinfo.done, userinfo.failed, refresh.done, refresh.failed], [40, 0, 16, 0], server);
      // A real count: hundreds of thousands of instructions a request at least (a refresh signs an ID
      // token: millions). So few requests this soon after the start still run code being compiled, so
      // the upper bound is loose, and the workloads' counts are not compared (a small run can have a
      // userinfo request cost most of a refresh).
      for (const [what, r] of [['userinfo', userinfo], ['refresh', refresh]] as const) {
        assert.ok(r.instructionsPerRequest > 100_000 && r.instructionsPerRequest < 100_000_000, `${server} ${what}: ${r.instructionsPerRequest}`);
      }
      assert.ok(refresh.instructionsPerRequest > 1_000_000, `${server} refresh: ${refresh.instructionsPerRequest}`);
    }
    const hk = row('hk-idp SQLite', 'userinfo');
    assert.equal(hk.ratioToBaseline, row('oidc-provider (memory)', 'userinfo').instructionsPerRequest / hk.instructionsPerRequest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
