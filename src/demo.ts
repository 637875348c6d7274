// Development demo data: a member to sign in with and the demo app's client. Never in production.
import type { AccountKind } from '../config/vocabulary.ts';
import type { Db } from './storage/db.ts';
import { findMemberByNumber, setPasswordHash, setUsername, upsertMember } from './accounts/accounts.ts';
import { UsernameError } from './errors.ts';
import type { PasswordHasher } from './accounts/passwords.ts';
import { addClient, getClient, updateClient } from './clients/clients.ts';
import { findBusinessUserByEmail, setBusinessPassword, upsertBusinessUser } from './accounts/business-users.ts';

export const DEMO_MEMBER = { memberNumber: '1000001', username: 'demo.medlem', password: 'hk-demo-passord-2026', email: 'demo.medlem@example.org', mobile: '+4799999999' };
export const DEMO_BUSINESS_USER = { email: 'demo.bedrift@example.org', password: 'hk-demo-bedrift-2026' };
/** Not yet activated: for trying "Aktiver brukerkonto" with a code from the dev outbox. */
export const DEMO_INVITED_USER = { email: 'ny.bedrift@example.org', mobile: '+4799999998' };

const DEMO_MEMBER_INPUT = {
  memberNumber: DEMO_MEMBER.memberNumber,
  givenName: 'Demo',
  familyName: 'Medlem',
  email: DEMO_MEMBER.email,
  mobile: DEMO_MEMBER.mobile,
  status: 'active',
};

/**
 * Seeds only what is missing: an account that already exists is never changed, so a real member who
 * holds the demo's member number (or username, or e-mail) never gets the published password.
 */
export async function seedDemo(db: Db, hasher: PasswordHasher, issuer: string): Promise<string[]> {
  const lines: string[] = [];
  const existing = await findMemberByNumber(db, DEMO_MEMBER.memberNumber);
  if (!existing) {
    const { account } = await upsertMember(db, DEMO_MEMBER_INPUT);
    await setPasswordHash(db, account.id, await hasher.hash(DEMO_MEMBER.password));
    await setUsername(db, account.id, DEMO_MEMBER.username).catch((error: unknown) => {
      if (!(error instanceof UsernameError)) throw error; // someone else has the name: sign in by number
    });
  }
  const member = existing ?? (await findMemberByNumber(db, DEMO_MEMBER.memberNumber))!;
  if (member.email !== DEMO_MEMBER_INPUT.email) {
    lines.push(`Demo member not seeded: member number ${DEMO_MEMBER.memberNumber} belongs to an existing member, left as it is`);
  } else {
    const username = member.username === DEMO_MEMBER.username ? ` (or username ${DEMO_MEMBER.username})` : '';
    lines.push(`Demo member: member number ${DEMO_MEMBER.memberNumber}${username}, password ${DEMO_MEMBER.password}`);
    // Ordering a first-time password needs the registered mobile or e-mail typed exactly.
    lines.push(`  registered mobile ${DEMO_MEMBER.mobile}, e-mail ${DEMO_MEMBER.email} (ordering a first-time password wipes the demo password; rm -rf data resets the demo)`);
  }

  const demoOrganization = { organizationNumber: '999999999', organizationName: 'Demo Bedrift AS' };
  // As for the member: a user at the demo's address outside the demo organization is someone else's.
  const isDemo = (user: { organizationNumber: string | null }) => user.organizationNumber === demoOrganization.organizationNumber;
  const business = await findBusinessUserByEmail(db, DEMO_BUSINESS_USER.email);
  if (!business) {
    const created = await upsertBusinessUser(db, { email: DEMO_BUSINESS_USER.email, mobile: '+4799999997', givenName: 'Demo', familyName: 'Bedrift', ...demoOrganization });
    await setBusinessPassword(db, created.account.id, await hasher.hash(DEMO_BUSINESS_USER.password), 'email', Date.now(), '');
  }
  if (business && !isDemo(business)) lines.push(`Demo business user not seeded: ${DEMO_BUSINESS_USER.email} belongs to an existing business user, left as it is`);
  else lines.push(`Demo business user: e-mail ${DEMO_BUSINESS_USER.email}, password ${DEMO_BUSINESS_USER.password}`);
  const invited = await findBusinessUserByEmail(db, DEMO_INVITED_USER.email);
  if (!invited) {
    await upsertBusinessUser(db, { email: DEMO_INVITED_USER.email, mobile: DEMO_INVITED_USER.mobile, givenName: 'Ny', familyName: 'Bedriftsbruker', ...demoOrganization });
  }
  if (invited && !isDemo(invited)) lines.push(`Demo business user to activate not seeded: ${DEMO_INVITED_USER.email} belongs to an existing business user, left as it is`);
  else lines.push(`Demo business user to activate: ${DEMO_INVITED_USER.email} or ${DEMO_INVITED_USER.mobile} (the code shows in the dev outbox)`);

  await ensureDemoClient(db, 'hk-demo', 'Demo-app (medlem)', 'member', issuer);
  await ensureDemoClient(db, 'hk-demo-business', 'Demo-bedriftsportal', 'business', issuer);
  // Not first-party: its sign-in asks for consent, so the consent page can be seen.
  await ensureDemoClient(db, 'hk-demo-third-party', 'Demo-tredjepartsapp', 'member', issuer, false);
  lines.push(`Demo app: ${issuer}/demo`);
  return lines;
}

/** The demo client follows the issuer, so a changed PORT or ISSUER keeps the demo working. */
export async function ensureDemoClient(db: Db, clientId: string, name: string, login: AccountKind, issuer: string, firstParty = true) {
  const input = {
    name,
    login,
    firstParty,
    redirectUris: [`${issuer}/demo/callback`],
    postLogoutRedirectUris: [`${issuer}/demo`],
  };
  if (await getClient(db, clientId)) await updateClient(db, clientId, input, { production: false });
  else await addClient(db, { ...input, public: true }, { production: false, clientId });
}
