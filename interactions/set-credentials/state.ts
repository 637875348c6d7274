// The set-credentials flow's state: after a redeemed first-time password the member must choose a
// username and an own password here before the sign-in goes on. The first-time password flow (and
// the sign-in form) hand over to it by saving a `ChoosingCredentials` value.
//
// Expiry: the interaction's own (`LoadedInteraction.expiresAt`). The first-time password has its own, possibly
// shorter, validity, but that is checked by the core against the database on every try
// (completeFirstLogin), which answers with the specific "order a new one" page; copying it into the
// state would only put the generic "step no longer valid" page in its place.
import { z } from 'zod';
import { MEMBER_NUMBER } from '../../src/accounts/accounts.ts';
import type { FirstLogin } from '../../src/accounts/first-time-passwords.ts';
import { flowStateFields } from '../flow.ts';

const flow = z.literal('set-credentials');
const memberNumber = z.string().regex(MEMBER_NUMBER);

/** 'choose': a first-time password was redeemed (`firstLogin`); the member chooses a username and a password. */
export const ChoosingCredentials = z.object({
  ...flowStateFields,
  flow,
  step: z.literal('choose'),
  memberNumber,
  firstLogin: z.object({ accountId: z.string(), firstTimePasswordId: z.string() }) satisfies z.ZodType<FirstLogin>,
});
export type ChoosingCredentials = z.infer<typeof ChoosingCredentials>;

/**
 * 'lapsed': the first-time password ran out while the member was at 'choose'. Only a new first-time
 * password goes on from here; the member number is kept so the member need not type it again.
 */
export const CredentialsLapsed = z.object({ ...flowStateFields, flow, step: z.literal('lapsed'), memberNumber });
export type CredentialsLapsed = z.infer<typeof CredentialsLapsed>;
