/**
 * The state schema, as numbered migrations applied on connect.
 *
 * Two CI pods may connect to a fresh database at the same moment: the whole
 * migration runs in one transaction under a transaction-level advisory lock, so
 * the second waits, then sees the versions the first recorded and applies
 * nothing. Migrations are append-only: never edit one that has shipped.
 */
import type { ClientBase } from 'pg';
import { WsdError } from '../../core/errors.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Arbitrary constant advisory-lock key ("wsd-migr" in ASCII) reserved for migrating. */
const MIGRATION_LOCK_KEY = '8607333459107080050';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'journal, snapshots, locks',
    sql: `
      CREATE TABLE ws_deployment_snapshots (
        deployment_id text PRIMARY KEY,
        -- seq of the last journal record (events included); appends check it under FOR UPDATE
        head_seq bigint NOT NULL DEFAULT 0 CHECK (head_seq >= 0),
        -- the reduced state and the seq it reflects (event records leave it alone, as in the file store)
        snapshot jsonb,
        snapshot_seq bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE ws_deployment_events (
        deployment_id text NOT NULL REFERENCES ws_deployment_snapshots (deployment_id) ON DELETE CASCADE,
        seq bigint NOT NULL CHECK (seq > 0),
        time timestamptz NOT NULL,
        record jsonb NOT NULL,
        -- random per append: tells a retried append whether its first try committed
        append_id text NOT NULL,
        PRIMARY KEY (deployment_id, seq)
      );
      CREATE TABLE ws_deployment_locks (
        lock_key text PRIMARY KEY,
        project text NOT NULL,
        environment text NOT NULL,
        pid integer NOT NULL,
        host text NOT NULL,
        deployment_id text NOT NULL,
        command text NOT NULL,
        since text NOT NULL,
        backend_pid integer NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'control queue',
    sql: `
      CREATE TABLE ws_deployment_control (
        id bigserial PRIMARY KEY,
        deployment_id text NOT NULL REFERENCES ws_deployment_snapshots (deployment_id) ON DELETE CASCADE,
        command text NOT NULL CHECK (command IN ('pause', 'resume', 'promote', 'abort')),
        -- random per send: a send retried after a lost connection is stored once
        send_id text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- set when a run takes the command; kept as a record of who acted when
        taken_by text,
        taken_at timestamptz
      );
      CREATE INDEX ws_deployment_control_pending ON ws_deployment_control (deployment_id, id) WHERE taken_by IS NULL;
    `,
  },
  {
    version: 3,
    name: 'control sender',
    // Who sent a command (`user@host (how)`): the journal says who approved a gate.
    sql: `ALTER TABLE ws_deployment_control ADD COLUMN sent_by text;`,
  },
  {
    version: 4,
    name: 'keys',
    // The values digest key (steps/install/values-digest-key.ts): kept with the journals it keys, not
    // in a CI pod's work dir that the next pod does not have.
    sql: `CREATE TABLE ws_deployment_keys (name text PRIMARY KEY, value text NOT NULL CHECK (value ~ '^[0-9a-f]{64}$'), created_at timestamptz NOT NULL DEFAULT now());`,
  },
];

/** Applies the migrations this database has not seen; returns the versions applied now. */
export async function migrate(client: ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // Taken before anything else, even before creating the migrations table: concurrent
    // CREATE TABLE IF NOT EXISTS can still fail on the catalog's unique index.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS ws_deployment_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM ws_deployment_migrations');
    const known = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...known);
    const ours = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > ours) {
      throw new WsdError('StateCorrupt', `the state database has schema version ${newest}, newer than this ws-deployment knows (${ours}); upgrade ws-deployment`);
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (known.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO ws_deployment_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return applied;
}
