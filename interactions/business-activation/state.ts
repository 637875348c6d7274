// The business code flow's state, one step at a time, saved in the oidc interaction and parsed with
// these schemas whenever it is read back (readFlow): a step is never guessed from which keys exist.
//   code-sent → (the code accepted) verified → (the password set) done
// A new address on the first page starts again at code-sent. Every step lives as long as the
// interaction it belongs to.
import { z } from 'zod';
import { flowStateFields } from '../flow.ts';
import { sentFields } from '../resend.ts';

const common = {
  ...flowStateFields,
  flow: z.literal('business-activation'),
  purpose: z.enum(['activate', 'reset']),
  channel: z.enum(['email', 'sms']),
  /** The address as typed, normalised; the code went there if it is registered. */
  address: z.string(),
};

/** A code was asked for (and went, if the address is registered); `sentAt`/`sends` drive "send a new code". */
export const CodeSent = z.object({ ...common, step: z.literal('code-sent'), ...sentFields });

/** The code was accepted for this account; only the new password is missing. */
export const Verified = z.object({ ...common, step: z.literal('verified'), ...sentFields, verifiedAccountId: z.string() });

/** The password is set: the page shows the login name, then the sign-in goes on to the app. */
export const Done = z.object({ ...common, step: z.literal('done'), accountId: z.string(), email: z.string(), activated: z.boolean() });

/** The steps that show the password page. */
export const AwaitingPassword = z.discriminatedUnion('step', [CodeSent, Verified]);

export const BusinessFlow = z.discriminatedUnion('step', [CodeSent, Verified, Done]);
export type BusinessFlow = z.infer<typeof BusinessFlow>;
export type CodeSent = z.infer<typeof CodeSent>;
export type Verified = z.infer<typeof Verified>;
export type Done = z.infer<typeof Done>;
export type AwaitingPassword = z.infer<typeof AwaitingPassword>;
