// The console sign-in's state: the password step alone signs no one in; it only remembers whose
// second factor (TOTP or recovery code) to ask for. The password step itself keeps no state.
//
// Expiry: the interaction's own (`LoadedInteraction.expiresAt`): the core has no shorter validity for a passed
// password step, and a shorter one here would change when staff must type their password again.
import { z } from 'zod';
import { flowStateFields } from '../../flow.ts';

/** 'second-factor': `staffId`'s password was accepted; their TOTP code or a recovery code comes next. */
export const SecondFactorStep = z.object({ ...flowStateFields, flow: z.literal('console-sign-in'), step: z.literal('second-factor'), staffId: z.string() });
export type SecondFactorStep = z.infer<typeof SecondFactorStep>;
