// Test members and business users, made through the same core functions the CLI uses.
import { findAccountById, setPasswordHash, setUsername, upsertMember, type Account, type MemberInput } from '../../src/accounts/accounts.ts';
import { disableBusinessUser, setBusinessPassword, upsertBusinessUser, type BusinessUserInput } from '../../src/accounts/business-users.ts';
import type { TestIdp } from './idp.ts';

let next = 2000000;
export const newMemberNumber = () => String(next++);

export async function createMember(
  idp: TestIdp,
  options: Partial<MemberInput> & { password?: string; username?: string } = {},
): Promise<Account & { password?: string }> {
  const { password, username, ...input } = options;
  const { account } = await upsertMember(idp.db, {
    memberNumber: newMemberNumber(),
    givenName: 'Kari',
    familyName: 'Nordmann',
    email: `kari${next}@example.org`,
    mobile: `9${String(next).slice(-7)}`,
    ...input,
  });
  if (password) await setPasswordHash(idp.db, account.id, await idp.hasher.hash(password));
  if (username) await setUsername(idp.db, account.id, username);
  return { ...account, password };
}

let nextBusiness = 100;

/** A business user as HK's CLI would add it (status invited); `password` activates it, `disabled` disables it. */
export async function createBusinessUser(
  idp: TestIdp,
  options: Partial<BusinessUserInput> & { password?: string; disabled?: boolean } = {},
): Promise<Account & { password?: string }> {
  const { password, disabled, ...input } = options;
  const n = nextBusiness++;
  const { account } = await upsertBusinessUser(idp.db, {
    email: `bruker${n}@firma.example`,
    mobile: `4${String(1000000 + n).slice(-7)}`,
    givenName: 'Per',
    familyName: 'Hansen',
    organizationNumber: '987654321',
    organizationName: 'Firma AS',
    ...input,
  });
  if (password) await setBusinessPassword(idp.db, account.id, await idp.hasher.hash(password), 'email', Date.now(), 'post@hk.no');
  if (disabled) await disableBusinessUser(idp.db, account.email!);
  return { ...(await findAccountById(idp.db, account.id))!, password };
}
