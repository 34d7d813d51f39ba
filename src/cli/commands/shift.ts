/**
 * `ws-deployment shift pause|resume|promote|abort [ID]`: steers a running
 * traffic shift from another terminal. The command is queued in the state store
 * and picked up by the running deployment within a poll interval; `resume` also
 * approves a waiting manual gate (including beforeDestroy), `abort` rolls back.
 */
import { examples } from '../help.js';
import { Command, InvalidArgumentError } from 'commander';
import { WsdError } from '../../core/errors.js';
import { openStore } from '../open-store.js';
import type { StateStore } from '../../state/store.js';
import type { ControlCommand } from '../../steps/step.js';
import { globalOptions } from '../options.js';

const ACTIONS: readonly ControlCommand[] = ['pause', 'resume', 'promote', 'abort'];

const EFFECT: Record<ControlCommand, string> = {
  pause: 'the shift holds at its current step until resumed',
  resume: 'the shift continues (and a waiting manual gate is approved)',
  promote: 'the new clusters take all new starts now and the old ones are cordoned',
  abort: 'the shift rolls back: old scores restored, new clusters cordoned',
};

function parseAction(value: string): ControlCommand {
  if (!(ACTIONS as readonly string[]).includes(value)) throw new InvalidArgumentError(`unknown shift action "${value}"; use ${ACTIONS.join(', ')}`);
  return value as ControlCommand;
}

/** Queues `action` for deployment `id` (default: the newest running one); returns the id. */
export async function sendShiftControl(store: StateStore, action: ControlCommand, id?: string): Promise<string> {
  const deployments = await store.list();
  const chosen = id ? deployments.find((d) => d.id === id) : deployments.find((d) => d.state === 'running');
  if (!chosen) {
    throw new WsdError('DeploymentNotFound', id ? `no deployment ${id} in ${store.root}; list them with \`ws-deployment status\`` : `no running deployment in ${store.root}; pass its id, or check --state-dir`);
  }
  if (chosen.state !== 'running') {
    throw new WsdError('UsageError', `deployment ${chosen.id} is ${chosen.state}, not running: nothing would pick up "${action}"; continue it with \`ws-deployment resume ${chosen.id}\` first`);
  }
  await store.sendControl(chosen.id, action);
  return chosen.id;
}

/** The `shift` command, ready to be added to the program. */
export function shiftCommand(): Command {
  return new Command('shift')
    .description('steer a running traffic shift: pause, resume (also approves a manual gate), promote, abort (rolls back)')
    .argument('<action>', ACTIONS.join('|'), parseAction)
    .argument('[id]', 'deployment id (default: the newest running one)')
    .addHelpText('after', examples(['ws-deployment shift pause', 'ws-deployment shift promote 20261125-083011-a1b2', 'ws-deployment shift abort']))
    .action(async (action: ControlCommand, id: string | undefined, _opts: unknown, command: Command) => {
      const options = globalOptions(command);
      const store = await openStore(options);
      try {
        const chosen = await sendShiftControl(store, action, id);
        process.stdout.write(`${action} sent to deployment ${chosen}: ${EFFECT[action]}\n`);
      } finally {
        await store.close();
      }
    });
}
