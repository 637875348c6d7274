// Redaction is configured for every secret-bearing field name, at the top level and nested.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECRET_FIELDS } from '../../../src/observability/logger.ts';
import { captureLogs } from '../../support/logs.ts';

test('every secret-bearing field is censored wherever it appears', () => {
  const logs = captureLogs();
  SECRET_FIELDS.forEach((field, i) => {
    const secret = `secret-${i}-value`;
    logs.logger.info({ [field]: secret }, 'top');
    logs.logger.info({ req: { [field]: secret } }, 'nested');
    logs.logger.error({ err: { detail: { [field]: secret } } }, 'deeper');
  });
  logs.logger.info({ req: { headers: { authorization: 'Bearer abc-secret-xyz', cookie: 'hk_session=abc-secret-xyz' } } }, 'headers');
  const all = logs.lines.join('\n');
  assert.ok(!/secret-\d+-value/.test(all), all.split('\n').find((line) => /secret-\d+-value/.test(line)));
  assert.ok(!all.includes('abc-secret-xyz'));
  assert.equal(logs.lines.length, SECRET_FIELDS.length * 3 + 1, 'every line was still written');
  assert.match(all, /\[redacted\]/);
});
