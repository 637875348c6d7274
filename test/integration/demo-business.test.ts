// Development mode: the demo business user and the demo business portal client work out of the box.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_BUSINESS_USER, DEMO_INVITED_USER } from '../../src/demo.ts';
import { findBusinessUserByEmail } from '../../src/accounts/business-users.ts';
import { Browser, textOf } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';

describe('demo business portal', () => {
  let idp: TestIdp;
  before(async () => (idp = await startIdp({ DEMO: 'true' })));
  after(() => idp.close());

  test('the demo page starts a business sign-in, and the demo business user gets in', async () => {
    assert.equal((await findBusinessUserByEmail(idp.db, DEMO_INVITED_USER.email))!.status, 'invited', 'one to try activation with');
    const browser = new Browser();
    const demo = await browser.go(`${idp.issuer}/demo`);
    assert.match(demo.html, /href="\/demo\/login\?kind=business"/);
    assert.match(textOf(demo.html), /Logg inn på bedriftsportalen/);
    const login = await browser.go(`${idp.issuer}/demo/login?kind=business`);
    assert.match(textOf(login.html), /Du logger inn på Demo-bedriftsportal/);
    assert.match(textOf(login.html), /Innlogging/);
    const claims = await browser.submit(login, { email: DEMO_BUSINESS_USER.email, password: DEMO_BUSINESS_USER.password });
    assert.equal(claims.status, 200);
    assert.match(textOf(claims.html), /organization_name "Demo Bedrift AS"/);
    assert.ok(idp.notices.some((line) => line.includes(DEMO_BUSINESS_USER.email)));
  });
});
