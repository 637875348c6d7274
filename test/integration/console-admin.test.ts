// The console's admin pages over HTTP: client apps (the CLI's validation, the secret shown once, a
// registered app then signs a member in), business users, staff, the audit log with filters and paging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { findBusinessUserByEmail } from '../../src/accounts/business-users.ts';
import { latestAudit } from '../../src/audit/audit.ts';
import { getClient } from '../../src/clients/clients.ts';
import { findStaffByEmail } from '../../src/staff/staff.ts';
import { createMember } from '../support/accounts.ts';
import { Browser, decode, textOf, type Page } from '../support/browser.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { enrol, inviteByCli, signInToConsole, totpCode } from '../support/staff.ts';

const APP = 'https://app.hk.example/cb';

describe('staff console: admin pages', () => {
  let idp: TestIdp;
  let offset = 0;
  const now = () => Date.now() + offset;
  const browser = new Browser();
  let adminId: string;

  before(async () => {
    idp = await startIdp({}, { now, outboxIntervalMs: 0 });
    const admin = await enrol(idp, await inviteByCli(idp, 'ola@hk.example', 'admin'), now);
    offset += 30_000;
    const page = await signInToConsole(idp, browser, admin, totpCode(admin.secret, now()));
    assert.equal(page.status, 200);
    adminId = (await findStaffByEmail(idp.db, admin.email))!.id;
  });
  after(() => idp.close());

  const go = (path: string) => browser.go(`${idp.base}${path}`);
  const post = (page: Page, action: RegExp, fields: Record<string, string>) => browser.submit(page, fields, { action });

  test('client apps: bad URIs refused with the CLI validation; added, secret shown once; the app signs a member in; edited, rotated, removed', async () => {
    const list = await go('/console/clients');
    assert.equal(list.status, 200);
    assert.doesNotMatch(list.html, /hk-console/, 'the console itself is not listed');
    const bad = await post(list, /\/console\/clients$/, { name: 'Valg', login: 'member', redirect_uris: 'ikke en adresse' });
    assert.equal(bad.status, 400);
    assert.match(textOf(bad.html), /Ikke lagret: redirect URI must be an absolute URL: ikke en adresse/);

    const added = await post(list, /\/console\/clients$/, { name: 'Valgsystemet', login: 'member', first_party: 'yes', redirect_uris: `${APP}\n`, post_logout_uris: '' });
    assert.equal(added.status, 200, textOf(added.html));
    const text = textOf(added.html);
    const clientId = text.match(/Klient-ID: ([\w-]{36})/)![1]!;
    const secret = text.match(/Klienthemmelighet \(vises bare nå\): ([\w-]{43})/)![1]!;
    const stored = (await getClient(idp.db, clientId))!;
    assert.deepEqual([stored.name, stored.login, stored.firstParty, stored.redirectUris], ['Valgsystemet', 'member', true, [APP]]);
    assert.doesNotMatch((await go(`/console/clients/${clientId}`)).html, new RegExp(secret), 'shown once');
    assert.equal((await latestAudit(idp.db, 1, { event: 'client.added' }))[0]!.actor, `staff:${adminId}`);

    // The app signs a member in with what the page showed.
    const member = await createMember(idp, { password: 'fjelltur-i-jotunheimen' });
    const config = await oidc.discovery(new URL(idp.issuer), clientId, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: APP, scope: 'openid member', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
    const memberBrowser = new Browser();
    const login = await memberBrowser.go(url, {}, APP);
    const back = await memberBrowser.submit(login, { identifier: member.memberNumber!, password: 'fjelltur-i-jotunheimen' }, { stopAt: APP });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims()!.sub, member.id);

    const edit = await go(`/console/clients/${clientId}`);
    const edited = await post(edit, new RegExp(`/console/clients/${clientId}$`), { name: 'Valgsystemet 2', login: 'member', redirect_uris: `${APP}\nhttps://app.hk.example/cb2`, post_logout_uris: 'https://app.hk.example/' });
    assert.match(textOf(edited.html), /Klientappen Valgsystemet 2 er lagret/);
    assert.deepEqual((await getClient(idp.db, clientId))!.redirectUris, [APP, 'https://app.hk.example/cb2']);
    assert.equal((await getClient(idp.db, clientId))!.firstParty, false, 'an unticked box is false');

    const confirmRotate = await go(`/console/clients/${clientId}/rotate`);
    assert.match(textOf(confirmRotate.html), /Den gamle slutter å virke med en gang/);
    const rotated = await post(confirmRotate, /\/rotate$/, {});
    const newSecret = textOf(rotated.html).match(/Klienthemmelighet \(vises bare nå\): ([\w-]{43})/)![1]!;
    assert.notEqual(newSecret, secret);

    const confirmRemove = await go(`/console/clients/${clientId}/remove`);
    const removed = await post(confirmRemove, /\/remove$/, {});
    assert.match(textOf(removed.html), /Klientappen er fjernet/);
    assert.equal(await getClient(idp.db, clientId), undefined);
    assert.equal((await go('/console/clients/hk-console')).status, 404, 'the console client cannot be edited here');
  });

  test('business users: add, import, invite, disable, enable', async () => {
    const list = await go('/console/business-users');
    const added = await post(list, /\/console\/business-users$/, { email: 'Anne@Firma.example', mobile: '41200001', given_name: 'Anne', family_name: 'Lie', organization_number: '987 654 321', organization_name: 'Firma AS' });
    assert.match(textOf(added.html), /Utført for anne@firma\.example/);
    assert.equal((await findBusinessUserByEmail(idp.db, 'anne@firma.example'))!.status, 'invited');
    const bad = await post(added, /\/console\/business-users$/, { email: 'nei', given_name: 'A', family_name: 'B', organization_number: '1', organization_name: 'C' });
    assert.equal(bad.status, 400);
    assert.match(textOf(bad.html), /email is not a valid address/);

    const csv = 'email,mobile,given_name,family_name,organization_number,organization_name\nb1@firma.example,,B,En,987654321,Firma AS\nfeil,,C,To,987654321,Firma AS\n';
    const imported = await post(added, /\/import$/, { csv });
    assert.match(textOf(imported.html), /Lagt til 1, oppdatert 0, avvist 1\. 3: email is not a valid address/);

    const invited = await post(imported, /\/console\/business-users\/invite$/, { email: 'anne@firma.example' });
    assert.match(textOf(invited.html), /Utført for anne@firma\.example/);
    await idp.outbox.deliverDue();
    assert.ok(idp.devOutbox!.some((m) => m.to === 'anne@firma.example' && m.kind === 'business_invitation'));
    const disabled = await post(invited, /\/console\/business-users\/disable$/, { email: 'anne@firma.example' });
    assert.equal((await findBusinessUserByEmail(idp.db, 'anne@firma.example'))!.status, 'disabled');
    await post(disabled, /\/console\/business-users\/enable$/, { email: 'anne@firma.example' });
    assert.equal((await findBusinessUserByEmail(idp.db, 'anne@firma.example'))!.status, 'invited');
    assert.equal((await latestAudit(idp.db, 1, { event: 'business.enabled' }))[0]!.actor, `staff:${adminId}`);
  });

  test('staff: invite (e-mail with an enrolment link), change role, reset TOTP, disable', async () => {
    const list = await go('/console/staff');
    const invited = await post(list, /\/console\/staff$/, { email: 'per@hk.example', name: 'Per Saksbehandler', role: 'caseworker' });
    assert.match(textOf(invited.html), /per@hk\.example er invitert/);
    await idp.outbox.deliverDue();
    assert.ok(idp.devOutbox!.some((m) => m.to === 'per@hk.example' && m.kind === 'staff_invitation' && /\/console\/enrol\//.test(m.text)));
    const role = await post(invited, /\/console\/staff\/role$/, { email: 'per@hk.example', role: 'admin' });
    assert.match(textOf(role.html), /Utført for per@hk\.example/);
    assert.equal((await findStaffByEmail(idp.db, 'per@hk.example'))!.role, 'admin');
    const bad = await post(role, /\/console\/staff\/role$/, { email: 'per@hk.example', role: 'boss' });
    assert.equal(bad.status, 400);
    const reset = await post(bad, /\/console\/staff\/reset$/, { email: 'per@hk.example' });
    assert.equal(reset.status, 200);
    // The reset and the new invitation it sends are on the log, by the admin, as the CLI's reset writes them.
    const per = (await findStaffByEmail(idp.db, 'per@hk.example'))!;
    const [resetEvent, reinvited] = [...(await latestAudit(idp.db, 2, { accountId: per.id }))].reverse();
    assert.deepEqual([resetEvent!.event, reinvited!.event], ['staff.reset', 'staff.invited']);
    assert.ok([resetEvent, reinvited].every((event) => event!.actor === `staff:${adminId}`));
    const disabled = await post(reset, /\/console\/staff\/disable$/, { email: 'per@hk.example' });
    assert.equal(disabled.status, 200);
    assert.equal((await findStaffByEmail(idp.db, 'per@hk.example'))!.status, 'disabled');
    assert.match(disabled.html, /<a class="lang" href="\/console\/staff\?lang=en"/, 'the language switch of an answer leads to its GET page');
    const [viewed] = await latestAudit(idp.db, 1, { event: 'console.page_viewed' });
    assert.equal(viewed!.actor, `staff:${adminId}`);
  });

  test('audit log: filters and paging', async () => {
    for (let i = 0; i < 60; i++) await idp.db('audit_log').insert({ at: Date.parse('2026-01-15T12:00:00Z') + i, event: 'test.paging', account_id: 'acc-1' });
    const first = await go('/console/audit?event=test.paging');
    assert.equal(first.status, 200);
    assert.equal((first.html.match(/<td>test\.paging/g) ?? []).length, 50);
    const older = first.html.match(/href="(\/console\/audit\?[^"]*before=\d+)"/)![1]!;
    const second = await go(decode(older));
    assert.equal((second.html.match(/<td>test\.paging/g) ?? []).length, 10);
    assert.doesNotMatch(second.html, /Eldre hendelser/);
    const byDate = await go('/console/audit?event=test.paging&from=2026-01-16');
    assert.match(textOf(byDate.html), /Ingen hendelser/);
    const byActor = await go(`/console/audit?actor=${adminId}`);
    assert.ok((byActor.html.match(/<tr>/g) ?? []).length > 3);
    assert.doesNotMatch(byActor.html, /<td>test\.paging/);
  });
});
