// The reasons a new password was refused, as field errors in the person's language (the business
// flows; the member flow maps username and password problems alike in set-credentials). The words
// are the catalogue's `password.problem.*`, the same everywhere.
import type { Language } from '../config/vocabulary.ts';
import { PASSWORD_MAX_LENGTH, type PasswordProblem } from '../src/accounts/password-policy.ts';
import { t } from './i18n.ts';
import type { FieldError } from './layout.ts';

export function passwordErrors(
  lang: Language,
  problems: PasswordProblem[],
  minLength: number,
): FieldError[] {
  // Every new-password form names its fields `password` and `confirm`.
  return problems.map((problem) => ({
    field: problem === 'mismatch' ? 'confirm' : 'password',
    message: t(lang, `password.problem.${problem}`, { min: minLength, max: PASSWORD_MAX_LENGTH }),
  }));
}
