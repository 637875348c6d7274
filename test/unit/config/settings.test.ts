import assert from 'node:assert/strict';
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
