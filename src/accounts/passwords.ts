// Password hashing: bcrypt over a keyed pre-hash, so every byte of a long or Unicode password counts
// (bcrypt alone reads only 72 bytes) and a stolen database is useless without the pepper.
//
// Stored formats (the prefix names the scheme):
//   hk1$<bcrypt of base64(HMAC-SHA-384(pepper, NFKC(password)))>   our own
//   $2a$/$2b$/$2y$<bcrypt of the raw password>                   legacy, imported; upgraded at next sign-in
import { createHmac } from 'node:crypto';
import bcrypt from 'bcrypt';

const SCHEME = 'hk1$';

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  /** Compares; with no stored hash it still spends one bcrypt comparison so timing tells nothing. */
  verify(password: string, stored: string | null | undefined): Promise<{ ok: boolean; needsRehash: boolean }>;
};

export const normalizePassword = (password: string) => password.normalize('NFKC');

export function createPasswordHasher(pepper: string, cost: number): PasswordHasher {
  const prehash = (password: string) =>
    createHmac('sha384', pepper).update(normalizePassword(password), 'utf8').digest('base64');
  // A real hash of the configured cost, made once, compared against when there is nothing to compare.
  let decoy: Promise<string> | undefined;
  const decoyHash = () => (decoy ??= bcrypt.hash(prehash('decoy-password-never-valid'), cost));

  return {
    async hash(password) {
      return SCHEME + (await bcrypt.hash(prehash(password), cost));
    },
    async verify(password, stored) {
      if (stored?.startsWith(SCHEME)) {
        const hash = stored.slice(SCHEME.length);
        const ok = await bcrypt.compare(prehash(password), hash);
        return { ok, needsRehash: ok && bcrypt.getRounds(hash) !== cost };
      }
      if (stored && /^\$2[aby]\$\d\d\$/.test(stored)) {
        const ok = await bcrypt.compare(password, stored); // as the old system hashed it
        return { ok, needsRehash: ok };
      }
      await bcrypt.compare(prehash(password), await decoyHash());
      return { ok: false, needsRehash: false };
    },
  };
}
