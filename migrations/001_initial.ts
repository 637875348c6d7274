// Initial schema. Times are epoch milliseconds (bigint) so SQLite and PostgreSQL compare them alike.
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Everything oidc-provider stores (sessions, grants, tokens, interactions...), one row per model + id.
  await db.schema.createTable('oidc_store', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255);
    t.string('uid', 255);
    t.string('user_code', 255);
    // Lets "end everything of this person" be one indexed delete.
    t.string('account_id', 64);
    t.bigInteger('expires_at');
    t.bigInteger('consumed_at');
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['account_id']);
    t.index(['expires_at']);
  });

  await db.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    // The private JWK; encrypted when a key-encryption key is configured.
    t.text('private_jwk').notNullable();
    // next: published, not yet signing | active: signs | retired: published until its tokens expire
    t.string('state', 8).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('retired_at');
  });
  // One active and one next key per algorithm, whatever number of instances start at once.
  await db.raw("CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (alg, state) WHERE state <> 'retired'");

  await db.schema.createTable('clients', (t) => {
    t.string('client_id', 64).primary();
    t.string('name', 200).notNullable();
    t.string('login', 16).notNullable(); // member | business
    t.boolean('first_party').notNullable().defaultTo(false);
    t.boolean('public').notNullable().defaultTo(false);
    // SHA-256 of the secret (secrets are 256-bit random, so a fast hash is enough); null for public clients.
    t.string('secret_hash', 128);
    t.text('redirect_uris').notNullable(); // JSON array
    t.text('post_logout_redirect_uris').notNullable(); // JSON array
    t.string('logo_uri', 500);
    t.string('id_token_alg', 8).notNullable().defaultTo('RS256'); // RS256 | ES256
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  // One row per person who can sign in: members and business portal users.
  await db.schema.createTable('accounts', (t) => {
    t.string('id', 64).primary(); // the opaque, stable `sub`
    t.string('kind', 16).notNullable(); // member | business
    t.string('status', 16).notNullable(); // member: active | inactive; business: invited | active | disabled
    t.string('member_number', 32).unique();
    t.string('given_name', 200);
    t.string('family_name', 200);
    t.string('email', 320); // trimmed and case-folded
    t.string('mobile', 32); // E.164
    t.bigInteger('email_verified_at');
    t.bigInteger('mobile_verified_at');
    t.string('username', 100);
    t.string('username_key', 100).unique(); // NFKC + case-folded, for case-insensitive uniqueness
    t.string('password_hash', 200);
    t.string('organization_number', 32);
    t.string('organization_name', 200);
    t.string('language', 8).notNullable().defaultTo('nb');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['kind', 'email']);
    t.index(['kind', 'mobile']);
  });
  // A business user's e-mail is their login name.
  await db.raw("CREATE UNIQUE INDEX accounts_business_email ON accounts (email) WHERE kind = 'business'");

  await db.schema.createTable('audit_log', (t) => {
    t.increments('id');
    t.bigInteger('at').notNullable();
    t.string('event', 64).notNullable();
    t.string('account_id', 64);
    t.string('client_id', 64);
    t.string('actor', 200); // who acted on someone else's behalf (caseworker, admin)
    t.string('ip', 64);
    t.string('user_agent', 300);
    t.text('detail'); // JSON, never a secret
    t.index(['at']);
    t.index(['account_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['audit_log', 'accounts', 'clients', 'signing_keys', 'oidc_store']) {
    await db.schema.dropTableIfExists(table);
  }
}
