// The access line of a request whose error got past every handler says the status koa answers with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusOfError } from '../../../src/observability/access-log.ts';

test('an escaped error is logged with the status koa answers: its HTTP error status, else 500', () => {
  assert.equal(statusOfError(Object.assign(new Error('bad'), { status: 400 })), 400);
  assert.equal(statusOfError(Object.assign(new Error('busy'), { statusCode: 503 })), 503);
  assert.equal(statusOfError(new Error('a bug')), 500);
  // Not an error status, not a number, not an object: 500.
  assert.equal(statusOfError(Object.assign(new Error('odd'), { status: 302 })), 500);
  assert.equal(statusOfError(Object.assign(new Error('odd'), { status: '400' })), 500);
  assert.equal(statusOfError(null), 500);
  assert.equal(statusOfError('thrown string'), 500);
});
