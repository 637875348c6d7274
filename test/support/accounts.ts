// Test members and business users, made through the same core functions the CLI uses.
import { setPasswordHash, setUsername, upsertMember, type Account, type MemberInput } from '../../src/accounts/accounts.ts';
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
