// Password sign-in. One path for every outcome: an unknown identifier, an inactive account and a
// wiped password all cost one bcrypt comparison, like a wrong password, so timing tells nothing.
import type { Db } from '../storage/db.ts';
import { canSignIn, findMemberByIdentifier, setPasswordHash, type Account } from './accounts.ts';
import type { PasswordHasher } from './passwords.ts';

/** The account if `password` is its password and it may sign in; upgrades an old hash on success. */
export async function checkPassword(
  db: Db,
  hasher: PasswordHasher,
  account: Account | undefined,
  password: string,
): Promise<Account | undefined> {
  const usable = account && canSignIn(account) ? account : undefined;
  const { ok, needsRehash } = await hasher.verify(password, usable?.passwordHash);
  if (!ok || !usable) return undefined;
  if (needsRehash) await setPasswordHash(db, usable.id, await hasher.hash(password));
  return usable;
}

/** "Medlemsnummer eller brukernavn" + "Passord". */
export async function signInMember(db: Db, hasher: PasswordHasher, identifier: string, password: string) {
  return checkPassword(db, hasher, await findMemberByIdentifier(db, identifier), password);
}
