// The row of every table the migrations create, as knex gives it back: `db('accounts')` then returns
// typed rows instead of `any`. Keep in step with migrations/ (the columns after the last migration).
//
// Driver differences, typed as read:
// - bigint columns (epoch-ms times, counter slices, TOTP steps): SQLite gives a number, PostgreSQL a
//   string (node-postgres leaves int8 unparsed and db.ts sets no type parser), hence `BigIntColumn` and
//   `Number(…)` wherever the code computes with one. integer and increments columns are numbers on both.
// - boolean columns: SQLite gives 0 or 1, PostgreSQL a boolean, hence `BooleanColumn` and `Boolean(…)`.
// - A column of fixed values is typed with the values the code writes (the schema does not check them);
//   `language` is a plain string where the code reads it as untrusted (`=== 'en' ? 'en' : 'nb'`).
import type { Knex } from 'knex';
import type { Tables } from 'knex/types/tables.js';
import type { EndReason } from '../oidc/backchannel-queue.ts';
import type { AccountKind, Language, LoginKind } from '../../config/vocabulary.ts';
import type { Channel } from '../delivery/delivery.ts';

/** A bigint column as read: number (SQLite) or string (PostgreSQL). Written as a number. */
export type BigIntColumn = number | string;
/** A boolean column as read: 0 | 1 (SQLite) or boolean (PostgreSQL). Written as a boolean. */
export type BooleanColumn = boolean | number;

type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'expired';

/**
 * What an insert gives: nullable columns and those the database fills (`Filled`: defaults, ids) may be
 * left out; any value may be SQL (`db.raw`). An update gives any of the columns.
 */
type Insert<Row, Filled extends keyof Row = never> = Writable<Omit<Row, Filled | NullableKeys<Row>> & Partial<Pick<Row, Filled | NullableKeys<Row>>>>;
type Writable<Row> = { [K in keyof Row]: Row[K] | Knex.Raw };
type NullableKeys<Row> = { [K in keyof Row]: null extends Row[K] ? K : never }[keyof Row];
type Table<Row, Filled extends keyof Row = never> = Knex.CompositeTableType<Row, Insert<Row, Filled>>;

/** A row as an insert into the table gives it. */
export type NewRow<Name extends keyof Tables> = Knex.ResolveTableType<Tables[Name], 'insert'>;

export type OidcStoreRow = {
  model: string;
  id: string;
  payload: string; // JSON
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  expires_at: BigIntColumn | null;
  consumed_at: BigIntColumn | null;
  /** A token's grant: the stored id of its Grant row (migrations/015). */
  grant_key: string | null;
  /** A token's session: the uid of the Session row it is bound to (migrations/015). */
  session_uid: string | null;
};

export type SigningKeyRow = {
  kid: string;
  alg: string;
  private_jwk: string;
  state: 'next' | 'active' | 'retired';
  created_at: BigIntColumn;
  retired_at: BigIntColumn | null;
};

export type ClientRow = {
  client_id: string;
  name: string;
  login: LoginKind;
  first_party: BooleanColumn;
  public: BooleanColumn;
  secret_hash: string | null;
  redirect_uris: string; // JSON array
  post_logout_redirect_uris: string; // JSON array
  logo_uri: string | null;
  id_token_alg: string;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
  backchannel_logout_uri: string | null;
  backchannel_logout_session_required: BooleanColumn;
};

export type AccountRow = {
  id: string;
  kind: AccountKind;
  status: string;
  member_number: string | null;
  given_name: string | null;
  family_name: string | null;
  email: string | null;
  mobile: string | null;
  email_verified_at: BigIntColumn | null;
  mobile_verified_at: BigIntColumn | null;
  username: string | null;
  username_key: string | null;
  password_hash: string | null;
  organization_number: string | null;
  organization_name: string | null;
  language: string;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
};

export type AuditLogRow = {
  id: number;
  at: BigIntColumn;
  event: string;
  account_id: string | null;
  client_id: string | null;
  actor: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null; // JSON
};

/** The columns of a claiming queue (queueWorker in src/delivery/outbox.ts): the outbox and the back-channel logouts. */
export type QueueColumns = {
  id: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: BigIntColumn;
  claimed_by: string | null;
  claimed_at: BigIntColumn | null;
  expires_at: BigIntColumn;
  last_error: string | null;
  created_at: BigIntColumn;
  sent_at: BigIntColumn | null;
};

export type OutboxRow = QueueColumns & {
  channel: Channel;
  recipient: string;
  kind: string;
  language: Language;
  params: string | null; // JSON
  account_id: string | null;
};

export type FirstTimePasswordRow = {
  account_id: string;
  id: string;
  secret_hash: string;
  channel: Channel;
  issued_by: string | null;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
  wiped_at: BigIntColumn | null;
};

export type OneTimeCodeRow = {
  id: string;
  account_id: string | null;
  purpose: string;
  flow_id: string;
  address_key: string | null;
  code_hash: string;
  attempts: number;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
  used_at: BigIntColumn | null;
  cancelled_at: BigIntColumn | null;
};

export type InvitationRow = {
  id: string;
  account_id: string;
  token_hash: string;
  created_by: string | null;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
  used_at: BigIntColumn | null;
  revoked_at: BigIntColumn | null;
};

export type CounterRow = {
  key: string;
  count: number;
  last_at: BigIntColumn;
  expires_at: BigIntColumn;
};

export type CounterSliceRow = {
  key: string;
  slice: BigIntColumn;
  shard: number;
  count: number;
  expires_at: BigIntColumn;
};

export type OrderRow = {
  id: number;
  kind: 'first_time_password' | 'business_code';
  member_number: string | null;
  channel: Channel;
  contact: string;
  language: string;
  ip: string | null;
  client_id: string | null;
  context: string | null; // JSON
  created_at: BigIntColumn;
  claimed_by: string | null;
  claimed_at: BigIntColumn | null;
  attempts: number;
};

export type BackchannelLogoutRow = QueueColumns & {
  client_id: string;
  account_id: string;
  sid: string | null;
  reason: EndReason;
};

export type MaintenanceLeaseRow = {
  name: string;
  holder: string | null;
  expires_at: BigIntColumn;
};

export type StaffRow = {
  id: string;
  email: string;
  name: string;
  role: 'caseworker' | 'admin';
  status: 'invited' | 'active' | 'disabled';
  password_hash: string | null;
  totp_secret: string | null;
  totp_last_step: BigIntColumn | null;
  language: string;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
};

export type StaffRecoveryCodeRow = {
  id: string;
  staff_id: string;
  code_hash: string;
  created_at: BigIntColumn;
  used_at: BigIntColumn | null;
};

export type StaffInvitationRow = {
  id: string;
  staff_id: string;
  token_hash: string;
  pending_password_hash: string | null;
  pending_totp_secret: string | null;
  created_by: string | null;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
  used_at: BigIntColumn | null;
  revoked_at: BigIntColumn | null;
};

export type ConsoleSendCountRow = {
  staff_id: string;
  day: string; // YYYY-MM-DD, Europe/Oslo
  sent: number;
};

export type ConsoleSessionRow = {
  id_hash: string;
  staff_id: string;
  created_at: BigIntColumn;
  last_seen_at: BigIntColumn;
  ended_at: BigIntColumn | null;
};

declare module 'knex/types/tables.js' {
  interface Tables {
    oidc_store: Table<OidcStoreRow>;
    signing_keys: Table<SigningKeyRow>;
    clients: Table<ClientRow, 'first_party' | 'public' | 'id_token_alg' | 'backchannel_logout_session_required'>;
    accounts: Table<AccountRow, 'language'>;
    audit_log: Table<AuditLogRow, 'id'>;
    outbox: Table<OutboxRow, 'id' | 'attempts'>;
    first_time_passwords: Table<FirstTimePasswordRow>;
    one_time_codes: Table<OneTimeCodeRow, 'attempts'>;
    invitations: Table<InvitationRow>;
    counters: Table<CounterRow>;
    counter_slices: Table<CounterSliceRow>;
    orders: Table<OrderRow, 'id' | 'attempts'>;
    backchannel_logouts: Table<BackchannelLogoutRow, 'id' | 'attempts'>;
    maintenance_leases: Table<MaintenanceLeaseRow>;
    staff: Table<StaffRow, 'language'>;
    staff_recovery_codes: Table<StaffRecoveryCodeRow>;
    staff_invitations: Table<StaffInvitationRow>;
    console_send_counts: Table<ConsoleSendCountRow, 'sent'>;
    console_sessions: Table<ConsoleSessionRow>;
  }
}
