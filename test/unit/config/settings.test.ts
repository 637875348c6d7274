import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadSettings } from '../../../config/settings.ts';

const KEY = 'k'.repeat(32);
const production = { NODE_ENV: 'production', ISSUER: 'https://login.hk.no', TRUST_PROXY_HOPS: '1', COOKIE_KEYS: KEY, PASSWORD_PEPPER: KEY, KEY_ENCRYPTION_KEY: KEY, DEV_OUTBOX: 'true' };

const failsOn = (env: Record<string, string>, variable: string) =>
  assert.throws(() => loadSettings(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(variable));

test('development defaults: SQLite under ./data, port 3000, demo on, secrets generated once and kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-settings-'));
  try {
    const first = loadSettings({ DATA_DIR: dir });
    assert.equal(first.mode, 'development');
    assert.equal(first.port, 3000);
    assert.equal(first.issuer, 'http://localhost:3000');
    assert.equal(first.databaseUrl, `sqlite:${join(dir, 'hk-idp.sqlite')}`);
    assert.equal(first.bcryptCost, 11);
    assert.equal(first.demo, true);
    assert.ok(existsSync(join(dir, 'dev-secrets.json')));
    const second = loadSettings({ DATA_DIR: dir });
    assert.deepEqual(second.cookieKeys, first.cookieKeys);
    assert.equal(second.passwordPepper, first.passwordPepper);
    assert.equal(JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')).passwordPepper, first.passwordPepper);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('production requires its secrets and an https issuer, and has no demo', () => {
  const settings = loadSettings(production);
  assert.equal(settings.demo, false);
  assert.deepEqual(settings.cookieKeys, [KEY]);
  failsOn({ ...production, COOKIE_KEYS: '' }, 'COOKIE_KEYS');
  failsOn({ ...production, PASSWORD_PEPPER: '' }, 'PASSWORD_PEPPER');
  failsOn({ ...production, KEY_ENCRYPTION_KEY: '' }, 'KEY_ENCRYPTION_KEY');
  failsOn({ ...production, ISSUER: '' }, 'ISSUER');
  failsOn({ ...production, ISSUER: 'http://login.hk.no' }, 'ISSUER');
  assert.equal(loadSettings({ ...production, ISSUER: 'http://127.0.0.1:3000' }).issuer, 'http://127.0.0.1:3000');
  failsOn({ ...production, BCRYPT_COST: '8' }, 'BCRYPT_COST');
  failsOn({ ...production, TRUST_PROXY_HOPS: '0' }, 'TRUST_PROXY_HOPS');
});

test('bad values name their variable', () => {
  failsOn({ PORT: 'eighty' }, 'PORT');
  failsOn({ PORT: '70000' }, 'PORT');
  failsOn({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL');
  failsOn({ ISSUER: 'not a url' }, 'ISSUER');
  failsOn({ ISSUER: 'https://hk.no/?x=1' }, 'ISSUER');
  failsOn({ ISSUER: 'https://hk.no/idp' }, 'ISSUER');
  failsOn({ COOKIE_KEYS: 'short' }, 'COOKIE_KEYS');
  failsOn({ PASSWORD_PEPPER: 'short' }, 'PASSWORD_PEPPER');
  failsOn({ TRUST_PROXY_HOPS: '-1' }, 'TRUST_PROXY_HOPS');
  failsOn({ NODE_ENV: 'staging' }, 'NODE_ENV');
  failsOn({ WIPE_CREDENTIALS: 'never' }, 'WIPE_CREDENTIALS');
});

test('several cookie keys: the first signs, all are kept', () => {
  const settings = loadSettings({ ...production, COOKIE_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(32)}` });
  assert.deepEqual(settings.cookieKeys, ['a'.repeat(32), 'b'.repeat(32)]);
});

test('branding: defaults, and colours, logo, home page and addresses checked at start', () => {
  const settings = loadSettings(production);
  assert.deepEqual(settings.brand, { name: 'Handel og Kontor', logoUrl: '/static/logo.svg', color: '#b3001b', colorDark: '#8a0015', homeUrl: 'https://www.hk.no/' });
  assert.equal(settings.ballotEmail, null);
  assert.equal(settings.resendWait, 60);
  const custom = loadSettings({
    ...production,
    BRAND_NAME: ' HK Test ',
    BRAND_LOGO_URL: 'https://cdn.hk.no/logo.svg',
    BRAND_COLOR: '#005A9C',
    BRAND_COLOR_DARK: '#003e6b',
    BRAND_HOME_URL: 'https://hk.no/medlem',
    BALLOT_EMAIL: 'valg@hk.no',
    RESEND_WAIT: '30',
  });
  assert.deepEqual(custom.brand, { name: 'HK Test', logoUrl: 'https://cdn.hk.no/logo.svg', color: '#005a9c', colorDark: '#003e6b', homeUrl: 'https://hk.no/medlem' });
  assert.equal(custom.ballotEmail, 'valg@hk.no');
  assert.equal(custom.resendWait, 30);
  // White text on a light colour would fail WCAG AA contrast: refused, naming the ratio.
  assert.throws(() => loadSettings({ ...production, BRAND_COLOR: '#ff6666' }), /BRAND_COLOR: #ff6666 against white has contrast 2\.\d\d:1/);
  failsOn({ ...production, BRAND_COLOR_DARK: '#cccccc' }, 'BRAND_COLOR_DARK');
  failsOn({ ...production, BRAND_COLOR: 'red' }, 'BRAND_COLOR');
  failsOn({ ...production, BRAND_LOGO_URL: 'http://cdn.hk.no/logo.svg' }, 'BRAND_LOGO_URL');
  failsOn({ ...production, BRAND_LOGO_URL: '//cdn.hk.no/logo.svg' }, 'BRAND_LOGO_URL');
  failsOn({ ...production, BRAND_LOGO_URL: 'javascript:alert(1)' }, 'BRAND_LOGO_URL');
  failsOn({ ...production, BRAND_HOME_URL: '/home' }, 'BRAND_HOME_URL');
  failsOn({ ...production, BRAND_NAME: 'x'.repeat(61) }, 'BRAND_NAME');
  failsOn({ ...production, CONTACT_EMAIL: 'post hk.no' }, 'CONTACT_EMAIL');
  failsOn({ ...production, BALLOT_EMAIL: 'valg' }, 'BALLOT_EMAIL');
  failsOn({ ...production, RESEND_WAIT: '-1' }, 'RESEND_WAIT');
});

test('operations: defaults (a grace period in production only), and bad values named', () => {
  const prod = loadSettings(production).operations;
  assert.deepEqual(prod, { logLevel: 'info', shutdownGrace: 5, shutdownTimeout: 25, auditRetentionDays: 400, migrateOnStart: true });
  const dir = mkdtempSync(join(tmpdir(), 'hk-settings-'));
  try {
    assert.equal(loadSettings({ DATA_DIR: dir }).operations.shutdownGrace, 0);
    const set = loadSettings({ ...production, LOG_LEVEL: 'warn', SHUTDOWN_GRACE: '10', AUDIT_RETENTION_DAYS: '30', MIGRATE_ON_START: 'false' }).operations;
    assert.deepEqual(set, { logLevel: 'warn', shutdownGrace: 10, shutdownTimeout: 25, auditRetentionDays: 30, migrateOnStart: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  failsOn({ ...production, LOG_LEVEL: 'verbose' }, 'LOG_LEVEL');
  failsOn({ ...production, SHUTDOWN_GRACE: '-1' }, 'SHUTDOWN_GRACE');
  failsOn({ ...production, AUDIT_RETENTION_DAYS: '0' }, 'AUDIT_RETENTION_DAYS');
  failsOn({ ...production, MIGRATE_ON_START: 'no' }, 'MIGRATE_ON_START');
});

test('development mode refuses an https issuer or a PostgreSQL database unless DEMO=true, before writing anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-settings-'));
  try {
    const realIssuer = { DATA_DIR: dir, ISSUER: 'https://login.hk.no', TRUST_PROXY_HOPS: '1' };
    const realDatabase = { DATA_DIR: dir, DATABASE_URL: 'postgres://idp@db.hk.no/idp' };
    for (const env of [realIssuer, realDatabase, { ...realIssuer, NODE_ENV: 'development' }, { ...realDatabase, DEMO: 'false' }]) {
      failsOn(env, 'NODE_ENV');
      assert.throws(() => loadSettings(env), /never runs on real data.*NODE_ENV=production, or DEMO=true/);
    }
    assert.equal(existsSync(join(dir, 'dev-secrets.json')), false, 'no development secrets were generated');
    assert.equal(loadSettings({ ...realDatabase, DEMO: 'true' }).demo, true);
    assert.equal(loadSettings({ ...realIssuer, DEMO: 'true' }).issuer, 'https://login.hk.no');
    assert.equal(loadSettings({ ...realDatabase, NODE_ENV: 'test' }).mode, 'test');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('`npm start` without NODE_ENV on a PostgreSQL URL exits non-zero and says why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-settings-'));
  try {
    // Nothing listens on port 1: a start that did not refuse must not touch a real database.
    const result = spawnSync(process.execPath, ['src/main.ts'], {
      env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: '0', DATABASE_URL: 'postgres://idp@127.0.0.1:1/nowhere' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(result.status, 78, result.stderr);
    assert.match(result.stderr, /hk-idp cannot start: NODE_ENV: development mode .* never runs on real data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
