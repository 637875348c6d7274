// The first-time password flow's state: "Jeg vil ha eller har glemt passord" remembers the last order
// in this sign-in (for "send again", its wait, and the form filled in again from the "sent" page).
// Redeeming a first-time password ("Jeg har fått nytt passord/PIN") moves the sign-in into the
// set-credentials flow's state (../set-credentials/state.ts), which this flow builds, typed.
//
// Expiry: the interaction's own (`LoadedInteraction.expiresAt`). The first-time password itself lives longer by
// default (24 hours) and its validity is the core's to check when it is used; an order remembered
// here only serves this sign-in.
import { z } from 'zod';
import { MEMBER_NUMBER } from '../../src/accounts/accounts.ts';
import type { Channel } from '../../src/delivery/delivery.ts';
import { flowStateFields } from '../flow.ts';
import { ChoosingCredentials, CredentialsLapsed } from '../set-credentials/state.ts';

/** An order as typed (the contact normalised), when it was made, and how many times in a row it was sent. */
export const Order = z.object({
  memberNumber: z.string().regex(MEMBER_NUMBER),
  channel: z.enum(['sms', 'email']) satisfies z.ZodType<Channel>,
  contact: z.string(),
  at: z.number().int(),
  count: z.number().int().min(1),
});
export type Order = z.infer<typeof Order>;

/**
 * 'ordered': a first-time password was ordered in this sign-in. `orders` counts every order made in
 * it (counted here, never from what was sent, so it tells nothing about the member).
 */
export const Ordered = z.object({
  ...flowStateFields,
  flow: z.literal('first-time-password'),
  step: z.literal('ordered'),
  order: Order,
  orders: z.number().int().min(1),
});
export type Ordered = z.infer<typeof Ordered>;

/** The states in which this sign-in knows the member's number, so the order and first-login forms need not ask again. */
export const KnowsMemberNumber = z.union([Ordered, ChoosingCredentials, CredentialsLapsed]);
export type KnowsMemberNumber = z.infer<typeof KnowsMemberNumber>;

export const memberNumberOf = (state: KnowsMemberNumber): string => (state.step === 'ordered' ? state.order.memberNumber : state.memberNumber);
