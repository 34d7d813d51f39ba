/**
 * `ws-deployment shift pause|resume|promote|abort [ID]`: steers a deployment's
 * traffic shift (and answers its beforeDestroy gate) from another terminal.
 * The command is queued in the state store; a running deployment takes it
 * within a poll interval. The reply says what the command will do where the
 * deployment stands (report/control-reply.ts); one that would change nothing is
 * not sent. A deployment no process runs (killed, interrupted, failed) gets the
 * command queued: `status` shows it and `resume` applies it.
 */
import { examples } from '../help.js';
import { Command, InvalidArgumentError } from 'commander';
import { WsdError } from '../../core/errors.js';
import type { StateStore } from '../../state/store.js';
import type { NextCommands } from '../../core/next-command.js';
import type { ControlCommand } from '../../steps/step.js';
import { globalOptions } from '../options.js';
import { operatorName } from '../../core/operator.js';

const ACTIONS: readonly ControlCommand[] = ['pause', 'resume', 'promote', 'abort'];

function parseAction(value: string): ControlCommand {
  // A retry is a run (lock, config, retirement after it), not a command queued for one: it is resume's flag.
  if (value === 'retry') throw new InvalidArgumentError('a shift that rolled back is retried by a run, not a queued command: `ws-deployment resume ID --retry-shift`');
  if (!(ACTIONS as readonly string[]).includes(value)) throw new InvalidArgumentError(`unknown shift action "${value}"; use ${ACTIONS.join(', ')} (a rolled-back shift: \`ws-deployment resume ID --retry-shift\`)`);
  return value as ControlCommand;
}

/**
 * Queues `action` for deployment `id` (default: the newest unfinished one) when it would do something; returns the
 * reply. `next` learns the deployment's config: the commands the reply (or its refusal) suggests read that one.
 */
export async function sendShiftControl(store: StateStore, action: ControlCommand, id?: string, next?: NextCommands): Promise<{ id: string; text: string }> {
  // Loaded when a shift command runs: every other command (validate's cold start) registers this one without them.
  const [{ controlReplyAfter }, { hasLiveProcess }, { newestUnfinished }] = await Promise.all([import('../../report/control-reply.js'), import('../../state/liveness.js'), import('../../state/resumable.js')]);
  const chosen = id ?? (await newestUnfinished(store))?.id;
  if (!chosen) throw new WsdError('DeploymentNotFound', `no unfinished deployment in ${store.root}; pass its id (\`ws-deployment status --all\` lists them), or check --state-dir`);
  next?.forDeployment(undefined);
  const snap = (await store.open(chosen, { readOnly: true })).snapshot();
  next?.forDeployment(snap.inputs.configFile);
  const live = snap.state === 'running' && (await hasLiveProcess(store, snap, `shift ${action}`));
  // Whether the live run can be answered at a gate, as its lock recorded it (undefined: not known, both are said).
  const holder = live ? await store.lockHolder?.({ project: snap.inputs.project, environment: snap.inputs.environment }) : undefined;
  const unattended = holder?.deploymentId === chosen ? holder.unattended : undefined;
  // Commands still queued are taken before this one: the reply is about where they leave the deployment.
  const queued = (await store.pendingControl(chosen)).map((p) => p.command);
  const reply = controlReplyAfter(snap, action, live, queued, unattended);
  if (!reply.send) throw new WsdError('ResumeRefused', reply.text);
  await store.sendControl(chosen, action, operatorName(`shift ${action}`));
  return { id: chosen, text: reply.text };
}

/** The `shift` command, ready to be added to the program. */
export function shiftCommand(): Command {
  return new Command('shift')
    .description(
      'steer a deployment’s traffic shift from another terminal: pause, resume (also approves a waiting manual gate, beforeDestroy included), promote, abort (rolls the shift back; at beforeDestroy it refuses the retirement). The reply says what the command does where the deployment stands; a deployment no process runs gets it queued until `resume`',
    )
    .argument('<action>', ACTIONS.join('|'), parseAction)
    .argument('[id]', 'deployment id (default: the newest unfinished one)')
    .addHelpText('after', examples(['ws-deployment shift pause', 'ws-deployment shift promote 20261125-083011-a1b2', 'ws-deployment shift abort']))
    .action(async (action: ControlCommand, id: string | undefined, _opts: unknown, command: Command) => {
      const options = globalOptions(command);
      const { openStore, stderrWarnings } = await import('../open-store.js');
      const store = await openStore(options, { sink: stderrWarnings });
      try {
        const sent = await sendShiftControl(store, action, id, options.next);
        process.stdout.write(`${options.next.text(sent.text)}\n`);
      } finally {
        await store.close();
      }
    });
}
