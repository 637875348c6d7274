// Mode selection for delivery: real connectors where configured, the development outbox where not,
// and no production start without SMTP and Vonage unless DEV_OUTBOX=true says so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadSettings } from '../../../config/settings.ts';

const base = {
  COOKIE_KEYS: 'test-cookie-key-0123456789abcdefghijklmnop',
  PASSWORD_PEPPER: 'test-pepper-0123456789abcdefghijklmnopqrstuv',
  KEY_ENCRYPTION_KEY: 'test-key-encryption-key-0123456789abcdefgh',
  DATA_DIR: mkdtempSync(join(tmpdir(), 'hk-idp-settings-')),
};
const production = { ...base, NODE_ENV: 'production', ISSUER: 'https://id.hk.no', TRUST_PROXY_HOPS: '1' };
const smtp = { SMTP_URL: 'smtps://mailer:s3cret-pass@smtp.hk.no:465', MAIL_FROM: '"Handel og Kontor" <noreply@hk.no>' };
const vonage = { VONAGE_API_KEY: 'abcd1234', VONAGE_API_SECRET: 'vonage-secret-1' };

function refused(env: Record<string, string>, variable: string): ConfigError {
  let caught: unknown;
  try {
    loadSettings(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${variable}, got ${String(caught)}`);
  assert.equal(caught.variable, variable);
  return caught;
}

test('development without SMTP or Vonage: both channels go to the development outbox', () => {
  const settings = loadSettings({ ...base, NODE_ENV: 'development' });
  assert.equal(settings.devOutbox, true);
  assert.equal(settings.delivery.smtp, undefined);
  assert.equal(settings.delivery.vonage, undefined);
  assert.deepEqual(settings.delivery.smsAllowedCountryCodes, ['47']);
});

test('development with SMTP only: e-mail by SMTP, SMS still to the development outbox', () => {
  const settings = loadSettings({ ...base, ...smtp });
  assert.equal(settings.delivery.smtp?.url, smtp.SMTP_URL);
  assert.equal(settings.delivery.smtp?.from, smtp.MAIL_FROM);
  assert.equal(settings.delivery.vonage, undefined);
  assert.equal(settings.devOutbox, true);
});

test('development with DEV_OUTBOX=false needs real delivery', () => {
  refused({ ...base, DEV_OUTBOX: 'false' }, 'SMTP_URL');
  refused({ ...base, DEV_OUTBOX: 'false', ...smtp }, 'VONAGE_API_KEY');
});

test('production refuses to start without SMTP and Vonage', () => {
  assert.match(refused(production, 'SMTP_URL').message, /DEV_OUTBOX=true/);
  refused({ ...production, ...smtp }, 'VONAGE_API_KEY');
  refused({ ...production, ...vonage }, 'SMTP_URL');
});

test('production with SMTP and Vonage uses them, and has no development outbox', () => {
  const settings = loadSettings({ ...production, ...smtp, ...vonage, SMS_SENDER: 'HK', VONAGE_REST_HOST: 'https://rest.nexmo.com' });
  assert.equal(settings.devOutbox, false);
  assert.deepEqual(settings.delivery.vonage, { apiKey: 'abcd1234', apiSecret: 'vonage-secret-1', sender: 'HK', restHost: 'https://rest.nexmo.com', apiHost: undefined });
  assert.equal(settings.delivery.smtp?.requireTls, false, 'smtps is TLS from the start');
  const starttls = loadSettings({ ...production, ...vonage, ...smtp, SMTP_URL: 'smtp://mailer:pw@smtp.hk.no:587' });
  assert.equal(starttls.delivery.smtp?.requireTls, true, 'plain smtp:// in production must upgrade with STARTTLS');
  const local = loadSettings({ ...production, ...vonage, ...smtp, SMTP_URL: 'smtp://127.0.0.1:25' });
  assert.equal(local.delivery.smtp?.requireTls, false, 'a relay on the same host may be plain');
});

test('production with DEV_OUTBOX=true explicitly may run on the development outbox', () => {
  const settings = loadSettings({ ...production, DEV_OUTBOX: 'true' });
  assert.equal(settings.devOutbox, true);
  assert.equal(settings.delivery.smtp, undefined);
});

test('SMTP settings are checked, and the password in SMTP_URL is never repeated', () => {
  const error = refused({ ...base, SMTP_URL: 'smtp://mailer:hunter2-secret@[broken', MAIL_FROM: smtp.MAIL_FROM }, 'SMTP_URL');
  assert.ok(!error.message.includes('hunter2'));
  assert.ok(!refused({ ...base, SMTP_URL: 'http://mailer:hunter2-secret@smtp.hk.no', MAIL_FROM: smtp.MAIL_FROM }, 'SMTP_URL').message.includes('hunter2'));
  refused({ ...base, SMTP_URL: smtp.SMTP_URL }, 'MAIL_FROM');
  refused({ ...base, ...smtp, MAIL_FROM: 'noreply' }, 'MAIL_FROM');
});

test('Vonage settings are checked', () => {
  refused({ ...base, VONAGE_API_KEY: 'abcd1234' }, 'VONAGE_API_SECRET');
  refused({ ...base, VONAGE_API_SECRET: 'x' }, 'VONAGE_API_KEY');
  assert.equal(loadSettings({ ...base, ...vonage }).delivery.vonage?.sender, 'HK', 'HK is the default sender');
  refused({ ...base, ...vonage, SMS_SENDER: 'Handel og Kontor' }, 'SMS_SENDER');
  assert.equal(loadSettings({ ...base, ...vonage, SMS_SENDER: '4712345678' }).delivery.vonage?.sender, '4712345678');
  refused({ ...production, ...smtp, ...vonage, VONAGE_REST_HOST: 'http://rest.example' }, 'VONAGE_REST_HOST');
  refused({ ...base, ...vonage, VONAGE_API_HOST: 'https://api.example/v1' }, 'VONAGE_API_HOST');
  assert.equal(loadSettings({ ...base, ...vonage, VONAGE_API_HOST: 'http://127.0.0.1:9999/' }).delivery.vonage?.apiHost, 'http://127.0.0.1:9999');
});

test('SMS_ALLOWED_COUNTRY_CODES: a list of calling codes', () => {
  assert.deepEqual(loadSettings({ ...base, SMS_ALLOWED_COUNTRY_CODES: '47, +46,45' }).delivery.smsAllowedCountryCodes, ['47', '46', '45']);
  refused({ ...base, SMS_ALLOWED_COUNTRY_CODES: '47,Sweden' }, 'SMS_ALLOWED_COUNTRY_CODES');
  refused({ ...base, SMS_ALLOWED_COUNTRY_CODES: '0047' }, 'SMS_ALLOWED_COUNTRY_CODES');
});

test('`npm start` in production without SMTP and Vonage exits non-zero and names the variable', () => {
  const result = spawnSync(process.execPath, ['src/main.ts'], {
    env: { PATH: process.env.PATH, ...production, PORT: '0' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.status, 78);
  assert.match(result.stderr, /hk-idp cannot start: SMTP_URL: is required/);
});
