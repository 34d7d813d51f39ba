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

/** What an operator can tell a running traffic shift. */
export type { ControlCommand } from '../../steps/step.js';
import type { ControlCommand } from '../../steps/step.js';

export const CONTROL_COMMANDS: readonly ControlCommand[] = ['pause', 'resume', 'promote', 'abort'];

export function isControlCommand(value: string): value is ControlCommand {
  return (CONTROL_COMMANDS as readonly string[]).includes(value);
}

/** Queues `command` for deployment `id`; `DeploymentNotFound` when there is no such deployment. */
export async function sendControl(db: Database, id: string, command: string): Promise<void> {
  if (!isControlCommand(command)) {
    throw new WsdError('UsageError', `"${command}" is not a traffic-shift command; use one of ${CONTROL_COMMANDS.join(', ')}`);
  }
  const sendId = randomBytes(12).toString('hex');
  await db.run(`sending ${command} to deployment ${id}`, async (client) => {
    const { rowCount } = await client.query(
      `INSERT INTO ws_deployment_control (deployment_id, command, send_id)
       SELECT deployment_id, $2, $3 FROM ws_deployment_snapshots WHERE deployment_id = $1 AND head_seq > 0
       ON CONFLICT (send_id) DO NOTHING`,
      [id, command, sendId],
    );
    if (rowCount) return;
    const sent = await client.query('SELECT 1 FROM ws_deployment_control WHERE send_id = $1', [sendId]);
    if (sent.rowCount) return; // an earlier try committed before its connection was lost
    throw new WsdError('DeploymentNotFound', `deployment ${id} not found in ${db.url.display}; list deployments with \`ws-deployment status --all\``);
  });
}

/** Takes the oldest pending command of deployment `id` (it is never returned again), or undefined. */
export async function takeControl(db: Database, id: string): Promise<ControlCommand | undefined> {
  const token = `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
  return db.run(`reading commands for deployment ${id}`, async (client) => {
    const earlier = await client.query<{ command: ControlCommand }>('SELECT command FROM ws_deployment_control WHERE taken_by = $1', [token]);
    if (earlier.rows[0]) return earlier.rows[0].command;
    const { rows } = await client.query<{ command: ControlCommand }>(
      `UPDATE ws_deployment_control SET taken_by = $2, taken_at = now()
       WHERE id = (SELECT id FROM ws_deployment_control WHERE deployment_id = $1 AND taken_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING command`,
      [id, token],
    );
    return rows[0]?.command;
  });
}

/** Commands of deployment `id` not taken yet, oldest first. */
export async function pendingControl(db: Database, id: string): Promise<Array<{ command: ControlCommand; sentAt: string }>> {
  return db.run(`reading commands for deployment ${id}`, async (client) => {
    const { rows } = await client.query<{ command: ControlCommand; created_at: Date }>(
      'SELECT command, created_at FROM ws_deployment_control WHERE deployment_id = $1 AND taken_by IS NULL ORDER BY id',
      [id],
    );
    return rows.map((r) => ({ command: r.command, sentAt: new Date(r.created_at).toISOString() }));
  });
}
