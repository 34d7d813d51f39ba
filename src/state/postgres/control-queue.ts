/**
 * Commands an operator sends to a running traffic shift (`shift pause|resume|
 * promote|abort`), queued per deployment. The run polls with `takeControl`,
 * which takes the oldest pending command in one statement, so two pollers never
 * both act on one command.
 *
 * A taken command is marked with a random token rather than deleted: when the
 * connection drops after the server took it but before we heard back, the
 * retry finds its own token and returns that command instead of losing it
 * (an `abort` must never vanish). Taken rows stay as a record of who acted when.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { WsdError } from '../../core/errors.js';
import type { Database } from './database.js';
import type { PendingControl } from '../store.js';

import type { ControlCommand } from '../../steps/step.js';

const CONTROL_COMMANDS: readonly ControlCommand[] = ['pause', 'resume', 'promote', 'abort'];

function isControlCommand(value: string): value is ControlCommand {
  return (CONTROL_COMMANDS as readonly string[]).includes(value);
}

/** Queues `command` for deployment `id`; `DeploymentNotFound` when there is no such deployment. */
export async function sendControl(db: Database, id: string, command: string, by?: string): Promise<void> {
  if (!isControlCommand(command)) {
    throw new WsdError('UsageError', `"${command}" is not a traffic-shift command; use one of ${CONTROL_COMMANDS.join(', ')}`);
  }
  const sendId = randomBytes(12).toString('hex');
  await db.run(`sending ${command} to deployment ${id}`, async (client) => {
    const { rowCount } = await client.query(
      `INSERT INTO ws_deployment_control (deployment_id, command, send_id, sent_by)
       SELECT deployment_id, $2, $3, $4 FROM ws_deployment_snapshots WHERE deployment_id = $1 AND head_seq > 0
       ON CONFLICT (send_id) DO NOTHING`,
      [id, command, sendId, by ?? null],
    );
    if (rowCount) return;
    const sent = await client.query('SELECT 1 FROM ws_deployment_control WHERE send_id = $1', [sendId]);
    if (sent.rowCount) return; // an earlier try committed before its connection was lost
    throw new WsdError('DeploymentNotFound', `deployment ${id} not found in ${db.url.display}; list deployments with \`ws-deployment status --all\``);
  });
}

interface ControlRow {
  command: ControlCommand;
  created_at: Date;
  sent_by: string | null;
}

function pendingOf(row: ControlRow): PendingControl {
  return { command: row.command, sentAt: new Date(row.created_at).toISOString(), ...(row.sent_by ? { by: row.sent_by } : {}) };
}

/** Takes the oldest pending command of deployment `id` (it is never returned again), or undefined. */
export async function takeControl(db: Database, id: string): Promise<PendingControl | undefined> {
  const token = `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
  return db.run(`reading commands for deployment ${id}`, async (client) => {
    const earlier = await client.query<ControlRow>('SELECT command, created_at, sent_by FROM ws_deployment_control WHERE taken_by = $1', [token]);
    if (earlier.rows[0]) return pendingOf(earlier.rows[0]);
    const { rows } = await client.query<ControlRow>(
      `UPDATE ws_deployment_control SET taken_by = $2, taken_at = now()
       WHERE id = (SELECT id FROM ws_deployment_control WHERE deployment_id = $1 AND taken_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING command, created_at, sent_by`,
      [id, token],
    );
    return rows[0] ? pendingOf(rows[0]) : undefined;
  });
}

/** Commands of deployment `id` not taken yet, oldest first. */
export async function pendingControl(db: Database, id: string): Promise<PendingControl[]> {
  return db.run(`reading commands for deployment ${id}`, async (client) => {
    const { rows } = await client.query<ControlRow>(
      'SELECT command, created_at, sent_by FROM ws_deployment_control WHERE deployment_id = $1 AND taken_by IS NULL ORDER BY id',
      [id],
    );
    return rows.map(pendingOf);
  });
}
