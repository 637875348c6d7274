// Password hashing: bcrypt over a keyed pre-hash, so every byte of a long or Unicode password counts
// (bcrypt alone reads only 72 bytes) and a stolen database is useless without the pepper.
//
// Stored formats (the prefix names the scheme):
//   hk1$<bcrypt of base64(HMAC-SHA-384(pepper, NFKC(password)))>   our own
//   $2a$/$2b$/$2y$<bcrypt of the raw password>                   legacy, imported; upgraded at next sign-in
//
// A legacy hash reads only the first 72 bytes of a password, so a longer one verifies on its prefix;
// the upgrade hashes the password as typed, whole (the caller passes what was typed to `hash`).
import { createHmac } from 'node:crypto';
import bcrypt from 'bcrypt';

const SCHEME = 'hk1$';

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  /** Compares; with no stored hash it still spends one bcrypt comparison so timing tells nothing. */
  verify(password: string, stored: string | null | undefined): Promise<{ ok: boolean; needsRehash: boolean }>;
};

export const normalizePassword = (password: string) => password.normalize('NFKC');

/**
 * PHP and `htpasswd -B` write `$2y$`, which node's bcrypt refuses (it answers false). `$2y$` is the
 * same algorithm as `$2b$` (both fixed the 2011 sign-extension bug), so only the prefix changes.
 */
const asNodeBcrypt = (hash: string) => (hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash);

export function createPasswordHasher(pepper: string, cost: number): PasswordHasher {
  const prehash = (password: string) =>
    createHmac('sha384', pepper).update(normalizePassword(password), 'utf8').digest('base64');
  // Real hashes of a given cost, made once each, compared against when there is nothing (or not
  // enough) to compare.
  const decoys = new Map<number, Promise<string>>();
  const decoyHash = (rounds: number) => {
    if (!decoys.has(rounds)) decoys.set(rounds, bcrypt.hash(prehash('decoy-password-never-valid'), rounds));
    return decoys.get(rounds)!;
  };
  /**
   * A stored hash of a lower cost than the configured one (imported from the old system, or made
   * before BCRYPT_COST was raised) is quicker to compare, which would tell that the account exists.
   * Comparisons at costs rounds, rounds+1, …, cost-1 add up to the difference (each cost doubles).
   */
  const padTo = async (rounds: number) => {
    for (let r = Math.max(4, rounds); r < cost; r++) await bcrypt.compare('x', await decoyHash(r));
  };

  return {
    async hash(password) {
      return SCHEME + (await bcrypt.hash(prehash(password), cost));
    },
    async verify(password, stored) {
      if (stored?.startsWith(SCHEME)) {
        const hash = stored.slice(SCHEME.length);
        const rounds = bcrypt.getRounds(hash);
        const ok = await bcrypt.compare(prehash(password), hash);
        await padTo(rounds);
        return { ok, needsRehash: ok && rounds !== cost };
      }
      if (stored && /^\$2[aby]\$\d\d\$/.test(stored)) {
        const legacy = asNodeBcrypt(stored);
        const ok = await bcrypt.compare(password, legacy); // as the old system hashed it
        await padTo(bcrypt.getRounds(legacy));
        return { ok, needsRehash: ok };
      }
      await bcrypt.compare(prehash(password), await decoyHash(cost));
      return { ok: false, needsRehash: false };
    },
  };
}
