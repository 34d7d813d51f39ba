/**
 * The two readers `outcome-readers-agree` leaves out, held against `status` in each of its states: `status --watch`
 * (the real CLI, on a pipe) and the webhooks (the notifier a run uses, delivering over HTTP to a receiver on
 * 127.0.0.1 written from HTTP alone). The watch's head and last lines say the outcome in `status`'s words, and it
 * suggests exactly the commands `status` suggests. The final webhook (`deployment-finished`, sent when the run ended)
 * names the outcome `status` names and suggests exactly its commands; a run killed sends none; a superseded one's was
 * sent before the newer deployment existed, so it says what was true then (interrupted: resume). A run waiting at a
 * gate (the shift's, or the retirement's beforeDestroy): its gate-waiting webhook and its watch name the commands
 * `status` names (the shift's webhook adds promote and abort, which `status` says in words).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { Notifier } from '../../src/notify/notifier.js';
import { nextCommands } from '../../src/core/next-command.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { commandsIn } from '../helpers/suggested-commands.js';
import { until } from '../helpers/processes.js';
import { CASES, holdLiveLocks, makeCase } from './outcome-readers-agree.fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-watch-webhook-readers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const config = join(root, 'c.yaml');
writeFileSync(config, 'version: v1\n');

const suggested = (output: string): string[] => [...new Set(commandsIn(output))].sort();

interface Hook {
  kind: string;
  deploymentId: string;
  title: string;
  text: string;
  data: Record<string, unknown>;
}

describe('status --watch and the webhooks agree with status', { timeout: 180_000 }, () => {
  it('per state: the outcome in the same words, and the same commands', async () => {
    const receiver = await startReceiver('ok');
    onTestFinished(() => receiver.close());
    const store = new FileStateStore(root);
    // Wired as `resume` wires it (cli/commands/observers.ts): the run's commands completed with the state dir and the config it read.
    const next = nextCommands({ stateDir: root });
    next.useConfig(config);
    const notifier = new Notifier({ webhooks: [{ url: receiver.url, format: 'json', timeout: 5_000, retries: 0 }] }, { emit: () => undefined }, undefined, next);
    for (const c of CASES) await makeCase(store, c, config, (r, j) => notifier.observe(r, j));
    await notifier.drain(30_000);
    const hooks = receiver.received.map((r) => r.body as Hook);
    const held = await holdLiveLocks(store, root);
    onTestFinished(async () => {
      for (const lock of held) await lock.release();
    });

    for (const c of CASES) {
      const status = (await runCli(['status', c.id, '--state-dir', root])).stdout;
      const commands = suggested(status);

      // The watch: a finished (or killed) deployment is drawn once and ends; a live one is drawn, then left.
      let watched: string;
      if (c.live) {
        const run = startCli(['status', '--watch', c.id, '--state-dir', root]);
        let drawn = '';
        run.child.stdout?.on('data', (d: Buffer) => (drawn += d.toString()));
        await until(() => `the watch to draw the gate; stdout so far:\n${drawn}`, () => /waiting (for approval )?at manual gate/.test(drawn));
        run.child.kill('SIGINT');
        const r = await run.done;
        expect(r.code, c.id).toBe(130);
        watched = r.stdout;
      } else {
        const r = await runCli(['status', '--watch', c.id, '--state-dir', root]);
        expect(r.stdout, c.id).toMatch(/exit code \d+\n$/);
        watched = r.stdout;
      }
      const lines = watched.split('\n');
      expect.soft(lines[0], `${c.id}: the watch's head`).toBe(`deployment ${c.id}: ${c.words}`);
      if (!c.live) expect.soft(lines.find((l) => l.startsWith('deployment ') && !l.startsWith(`deployment ${c.id}`)), `${c.id}: the watch's end`).toMatch(new RegExp(`^deployment ${escape(c.words)}($|: )`));
      expect.soft(suggested(watched), `${c.id}: status --watch`).toEqual(commands);
      // A retirement stopped part-way: the old clusters' line `status` says (report/retirement-progress.ts), once.
      expect.soft(lines.filter((l) => l.startsWith('retirement of the old clusters')), `${c.id}: the watch's retirement line`).toEqual(c.retirement ? [c.retirement] : []);

      // The webhooks this deployment's run sent.
      const mine = hooks.filter((h) => h.deploymentId === c.id);
      const finished = mine.filter((h) => h.kind === 'deployment-finished');
      if (!c.records.some((r) => r.type === 'deployment.finished')) {
        // No run ended it: no final webhook (a killed process sends nothing).
        expect(finished, c.id).toEqual([]);
        if (c.live) {
          const waiting = mine.filter((h) => h.kind === 'gate-waiting');
          expect(waiting, c.id).toHaveLength(1);
          expect(suggested(JSON.stringify(waiting[0]))).toEqual(expect.arrayContaining(commands));
          expect(suggested(JSON.stringify(waiting[0])).every((s) => s.startsWith(`ws-deployment shift `)), c.id).toBe(true);
        }
        continue;
      }
      expect(finished, c.id).toHaveLength(1);
      const hook = finished[0]!;
      if (c.outcome === 'superseded') {
        // Sent as it was interrupted, before the newer deployment existed: what `status` said then.
        expect(hook.data.outcome).toBe('interrupted');
        expect(suggested(JSON.stringify(hook))).toEqual([`ws-deployment resume ${c.id} --state-dir ${root}`]);
        continue;
      }
      expect.soft(hook.data.outcome, `${c.id}: webhook outcome`).toBe(c.outcome);
      expect.soft(hook.title, `${c.id}: webhook title`).toBe(`deployment ${c.id} ${c.words}`);
      // A retirement stopped part-way: the old clusters' line `status` says, in the text and the data.
      expect.soft((hook.data.retirement as { line?: string } | undefined)?.line, `${c.id}: webhook retirement`).toBe(c.retirement);
      if (c.retirement) expect.soft(hook.text.split('\n'), `${c.id}: webhook text`).toContain(c.retirement);
      expect.soft(suggested(JSON.stringify(hook)), `${c.id}: webhook commands`).toEqual(commands);
      // What a person reads in Slack or Teams: the title and the text (the data is the JSON format's alone).
      expect.soft(suggested(`${hook.title}\n${hook.text}`), `${c.id}: webhook text's commands`).toEqual(commands);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
