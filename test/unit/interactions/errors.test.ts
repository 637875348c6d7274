// One error handler: hk-idp's own errors (src/errors.ts) become the page of their code, in the
// person's language, with their status; an input error from the core is never a 500.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Router from '@koa/router';
import Koa from 'koa';
import { loadSettings } from '../../../config/settings.ts';
import { errorTexts, handleErrors } from '../../../interactions/errors/index.ts';
import { t } from '../../../interactions/i18n.ts';
import { CsrfError, DeliveryError, InputError } from '../../../src/errors.ts';

const KEY = 'k'.repeat(32);
const settings = loadSettings({ NODE_ENV: 'test', DEMO: 'false', COOKIE_KEYS: KEY, PASSWORD_PEPPER: KEY, KEY_ENCRYPTION_KEY: KEY });

async function serve(router: Router, run: (base: string, logged: unknown[]) => Promise<void>) {
  const logged: unknown[] = [];
  const app = new Koa();
  app.use(handleErrors(settings, (_message, error) => logged.push(error)));
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, logged);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('an InputError thrown inside a route is a 400 page with the text of its code, in the language asked for', async () => {
  const router = new Router();
  router.get('/refuse', () => {
    throw new InputError('login must be member or business');
  });
  await serve(router, async (base, logged) => {
    for (const lang of ['nb', 'en'] as const) {
      const response = await fetch(`${base}/refuse?lang=${lang}`);
      assert.equal(response.status, 400);
      const page = await response.text();
      const texts = errorTexts('bad_request');
      assert.ok(page.includes(t(lang, texts.heading)), `${lang}: the bad_request heading`);
      assert.ok(page.includes(t(lang, texts.body)), `${lang}: the bad_request body`);
      assert.ok(!page.includes(t(lang, 'error.heading')), `${lang}: not the generic error page`);
      assert.ok(!page.includes('login must be'), 'the message is for operators, not the page');
    }
    assert.equal(logged.length, 0, 'bad input is not logged as a failure');
  });
});

test('a named error keeps its own status; anything else is the generic 500', async () => {
  const router = new Router();
  router.get('/csrf', () => {
    throw new CsrfError('missing or wrong form token');
  });
  router.get('/crash', () => {
    throw new Error('boom');
  });
  router.get('/undelivered', () => {
    throw new DeliveryError('connection refused', 'temporary');
  });
  await serve(router, async (base, logged) => {
    const csrf = await fetch(`${base}/csrf?lang=nb`);
    assert.equal(csrf.status, 403);
    assert.ok((await csrf.text()).includes(t('nb', 'error.csrf.heading')));
    const crash = await fetch(`${base}/crash?lang=nb`);
    assert.equal(crash.status, 500);
    assert.ok((await crash.text()).includes(t('nb', 'error.heading')));
    assert.equal(logged.length, 1);
    // A named error of ours (5xx) gets its page and, unlike a client's mistake, a log line.
    const undelivered = await fetch(`${base}/undelivered?lang=nb`);
    assert.equal(undelivered.status, 502);
    assert.ok((await undelivered.text()).includes(t('nb', 'error.delivery_failed.heading')));
    assert.equal(logged.length, 2);
  });
});
