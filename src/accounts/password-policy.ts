// The rules for every new password, wherever it is set (members and business users alike):
// length in Unicode code points after NFKC, no composition rules, not a common password, not the
// person's own identifiers. Each refusal has a reason the page can show.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { normalizePassword } from './passwords.ts';

export const PASSWORD_MAX_LENGTH = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_identifier' | 'mismatch';

// The 10,000 most common passwords (zxcvbn-ts's list, most common first, all lowercase). Read and
// parsed here rather than required: require would keep the whole list (~50,000 words) in its cache.
const COMMON = new Set<string>(
  (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@zxcvbn-ts/language-common/src/passwords.json'), 'utf8')) as string[]).slice(0, 10_000),
);

// Words that make a password guessable for this service in particular.
const SERVICE_WORDS = ['handelogkontor', 'handel og kontor', 'hkpassord', 'passord'];

/** Digits counting up or down (1234567890123...), wrapping at 9/0. */
function isDigitRun(text: string): boolean {
  if (!/^\d+$/.test(text)) return false;
  const steps = new Set([...text].slice(1).map((c, i) => (Number(c) - Number(text[i]) + 10) % 10));
  return steps.size === 1 && (steps.has(1) || steps.has(9));
}

export function isCommonPassword(password: string): boolean {
  const lower = normalizePassword(password).toLowerCase();
  return (
    COMMON.has(lower) ||
    SERVICE_WORDS.includes(lower.replace(/[\d\s!.\-_]+$/, '')) ||
    // One chunk repeated ("aaaaaaaaaaaa", "passwordpassword") or a run of digits.
    /^(.+?)\1+$/su.test(lower) ||
    isDigitRun(lower)
  );
}

/**
 * Problems with a new password, in the order a person should fix them; empty when it is fine.
 * `identifiers` are the person's own member number, username and e-mail.
 */
export function checkNewPassword(
  password: string,
  confirmation: string,
  options: { minLength: number; identifiers: (string | null | undefined)[] },
): PasswordProblem[] {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length > PASSWORD_MAX_LENGTH) return ['too_long'];
  const problems: PasswordProblem[] = [];
  if (length < options.minLength) problems.push('too_short');
  else if (isCommonPassword(normalized)) problems.push('common');
  const lower = normalized.toLowerCase();
  const identifiers = options.identifiers
    .flatMap((id) => (id ? [id, id.split('@')[0]!] : []))
    .map((id) => id.normalize('NFKC').trim().toLowerCase())
    .filter((id) => id.length >= 3);
  if (identifiers.some((id) => lower.includes(id))) problems.push('contains_identifier');
  if (normalized !== normalizePassword(confirmation)) problems.push('mismatch');
  return problems;
}
