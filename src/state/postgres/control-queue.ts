/**
 * Commands an operator sends to a running traffic shift (`shift pause|resume|
 * promote|abort`), queued per deployment. The run polls with `takeControl`,
 * which removes and returns the oldest pending command in one statement, so
 * two pollers never both act on one command.
 */
import { WsdError } from '../../core/errors.js';
import type { Database } from './database.js';

/** What an operator can tell a running traffic shift. */
export type ControlCommand = 'pause' | 'resume' | 'promote' | 'abort';

export const CONTROL_COMMANDS: readonly ControlCommand[] = ['pause', 'resume', 'promote', 'abort'];

export function isControlCommand(value: string): value is ControlCommand {
  return (CONTROL_COMMANDS as readonly string[]).includes(value);
}

/** Queues `command` for deployment `id`; `DeploymentNotFound` when there is no such deployment. */
export async function sendControl(db: Database, id: string, command: string): Promise<void> {
  if (!isControlCommand(command)) {
    throw new WsdError('UsageError', `"${command}" is not a traffic-shift command; use one of ${CONTROL_COMMANDS.join(', ')}`);
  }
  await db.run(`sending ${command} to deployment ${id}`, async (client) => {
    const { rowCount } = await client.query(
      `INSERT INTO ws_deployment_control (deployment_id, command)
       SELECT deployment_id, $2 FROM ws_deployment_snapshots WHERE deployment_id = $1 AND head_seq > 0`,
      [id, command],
    );
    if (!rowCount) {
      throw new WsdError('DeploymentNotFound', `deployment ${id} not found in ${db.url.display}; list deployments with \`ws-deployment status\``);
    }
  });
}

/** Removes and returns the oldest pending command of deployment `id`, or undefined. */
export async function takeControl(db: Database, id: string): Promise<ControlCommand | undefined> {
  return db.run(`reading commands for deployment ${id}`, async (client) => {
    const { rows } = await client.query<{ command: ControlCommand }>(
      `DELETE FROM ws_deployment_control
       WHERE id = (SELECT id FROM ws_deployment_control WHERE deployment_id = $1 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING command`,
      [id],
    );
    return rows[0]?.command;
  });
}
