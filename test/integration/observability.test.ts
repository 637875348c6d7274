// Logs and metrics as an operator reads them: one access line per request with its route template and
// request id (never the query), the id on error pages, per-instance Prometheus metrics that a scrape
// computes without scanning a table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMember } from '../support/accounts.ts';
import { Browser, textOf } from '../support/browser.ts';
import { enqueueTest, newCode, testTemplates } from '../support/delivery.ts';
import { freshDatabase, startIdpOn, type TestIdp } from '../support/idp.ts';
import { captureLogs } from '../support/logs.ts';
import { CALLBACK, registerRp } from '../support/rp.ts';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';
const scrape = async (idp: TestIdp) => (await fetch(`${idp.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
const value = (metrics: string, series: string) => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('request ids: passed through when sane, made when not, shown on error pages in both languages and logged', async () => {
  const logs = captureLogs();
  const database = await freshDatabase();
  const idp = await startIdpOn(database, {}, { logger: logs.logger });
  try {
    const given = await fetch(`${idp.base}/healthz`, { headers: { 'x-request-id': 'lb-7f3a9c21-0001' } });
    assert.equal(given.headers.get('x-request-id'), 'lb-7f3a9c21-0001');
    for (const bad of ['x', 'a'.repeat(65), 'two words', '<script>']) {
      const made = (await fetch(`${idp.base}/healthz`, { headers: { 'x-request-id': bad } })).headers.get('x-request-id')!;
      assert.match(made, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/, `${bad} replaced by a readable id`);
    }

    const nb = new Browser();
    const missing = await nb.request(`${idp.base}/no/such/page`);
    assert.equal(missing.status, 404);
    const id = missing.headers.get('x-request-id')!;
    assert.match(textOf(missing.html), new RegExp(`Referanse: ${id}\\.`));
    const en = await new Browser({ 'accept-language': 'en' }).request(`${idp.base}/no/such/page`);
    assert.match(textOf(en.html), new RegExp(`Reference: ${en.headers.get('x-request-id')}\\.`));
    const line = logs.records().find((r) => r.kind === 'access' && r.requestId === id)!;
    assert.deepEqual([line.method, line.route, line.status], ['GET', 'not_found', 404]);

    // A query string (here with a code_verifier) is never written: only the route template is.
    const secret = 'verifier-that-must-not-be-logged-1234567890';
    await fetch(`${idp.base}/auth?client_id=nobody&code_verifier=${secret}&code=also-secret-code-98765`);
    const all = logs.lines.join('\n');
    assert.ok(!all.includes(secret) && !all.includes('also-secret-code-98765'));
    assert.ok(logs.records().some((r) => r.kind === 'access' && r.route === '/auth'));
  } finally {
    await idp.close();
    await database.drop();
  }
});

test('metrics: per instance, per route template, sign-ins by outcome, outbox backlog, hash queue; no table scans per scrape', async () => {
  const database = await freshDatabase();
  let degraded = false;
  const options = { messageTemplates: testTemplates, outboxIntervalMs: 0 };
  const a = await startIdpOn(database, { METRICS_TOKEN: TOKEN }, { ...options, hashQueue: () => ({ depth: 7, running: 2, shed: 5 }), countersDegraded: () => degraded });
  const b = await startIdpOn(database, { METRICS_TOKEN: TOKEN, ISSUER: a.issuer }, options);
  try {
    assert.equal((await fetch(`${a.base}/metrics`)).status, 404, 'no token, no metrics');
    const rp = await registerRp(a);
    const member = await createMember(a, { password: 'riktig-passord-123' });
    for (const password of ['feil-passord-123', 'riktig-passord-123']) {
      const browser = new Browser();
      const { page } = await rp.start(browser);
      await browser.submit(page, { identifier: member.memberNumber!, password }, { stopAt: CALLBACK });
    }
    for (let i = 0; i < 3; i++) await enqueueTest(a, Date.now(), { channel: 'email', to: `m${i}@example.org`, code: newCode() });

    const queries: string[] = [];
    a.db.on('query', (q: { sql: string }) => queries.push(q.sql));
    const metrics = await scrape(a);
    a.db.removeAllListeners('query');

    assert.equal(value(metrics, 'hk_sign_ins_total{outcome="failed",kind="member"}'), 1);
    assert.equal(value(metrics, 'hk_sign_ins_total{outcome="succeeded",kind="member"}'), 1);
    assert.ok(value(metrics, 'hk_http_request_duration_seconds_count{method="POST",route="/interaction/:uid/login",status="303"}')! >= 1);
    assert.ok(!/route="\/interaction\/[A-Za-z0-9_-]{10,}/.test(metrics), 'no raw interaction ids as labels');
    assert.equal(value(metrics, 'hk_outbox_backlog'), 3);
    assert.ok(value(metrics, 'hk_outbox_oldest_age_seconds')! >= 0);
    assert.equal(value(metrics, 'hk_password_hash_queue_depth'), 7);
    assert.equal(value(metrics, 'hk_password_hash_running'), 2);
    assert.equal(value(metrics, 'hk_password_hash_shed_total'), 5);
    assert.equal(value(metrics, 'hk_counters_degraded'), 0);
    assert.equal(value(metrics, 'hk_sms_budget_hour'), 2000);
    assert.ok(value(metrics, 'process_cpu_user_seconds_total')! > 0, 'process metrics');
    assert.ok(value(metrics, 'nodejs_eventloop_lag_seconds')! >= 0, 'event-loop lag');
    // The scrape reads the outbox by its status index and the SMS counters by key; it never touches the audit log.
    assert.ok(queries.length <= 5, queries.join('\n'));
    assert.ok(queries.every((sql) => !/audit_log|accounts|oidc_store/.test(sql)), queries.join('\n'));

    // Every hash of the sign-ins above waited in the pool (if only for no time at all), and says so.
    const waits = value(metrics, 'hk_password_hash_wait_seconds_count')!;
    assert.ok(waits >= 2, `the hash pool's waits are observed (${waits})`);
    degraded = true;
    a.metrics.observeHashWait(0.2);
    const later = await scrape(a);
    assert.equal(value(later, 'hk_counters_degraded'), 1);
    assert.equal(value(later, 'hk_password_hash_wait_seconds_count'), waits + 1);

    // B shares the database but not A's counts.
    const other = await scrape(b);
    assert.equal(value(other, 'hk_sign_ins_total{outcome="succeeded",kind="member"}'), undefined);
    assert.equal(value(other, 'hk_outbox_backlog'), 3, 'the backlog is the shared one');
    assert.equal(value(other, 'hk_password_hash_queue_depth'), 0, 'no hash queue given, zero');
  } finally {
    await b.close();
    await a.close();
    await database.drop();
  }
});
