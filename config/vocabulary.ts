// The few words of the product's own vocabulary that every layer uses. They live in config/ because
// config/ imports nothing from src/, while src/ and interactions/ may import config/.

/** The languages of every page, SMS and e-mail: bokmål (the default) and English. */
export type Language = 'nb' | 'en';

/** Which sign-in a client's users see (its `login` metadata); 'staff' is only the console's own client. */
export type LoginKind = 'member' | 'business' | 'staff';

/** The kinds of account in the accounts table (staff live in a table of their own). */
export type AccountKind = Exclude<LoginKind, 'staff'>;
