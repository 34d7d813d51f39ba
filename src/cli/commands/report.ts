/** `ws-deployment report [ID] --output report.html`: the HTML report of a deployment (default: the newest), from its journal. */
import type { Command } from 'commander';
import { writeOutputFile } from '../../core/output-file.js';
import { WsdError } from '../../core/errors.js';
import { buildReportModel } from '../../report/html/report-model.js';
import { renderReportHtml } from '../../report/html/render-report.js';
import { hasLiveProcess } from '../../state/liveness.js';
import { supersededBy } from '../../state/resumable.js';
import { openStore } from '../open-store.js';
import { globalOptions } from '../options.js';

export default async function report(command: Command, id?: string): Promise<void> {
  const options = globalOptions(command);
  const { output } = command.opts<{ output?: string }>();
  const store = await openStore(options);
  try {
    const chosen = id ?? (await store.list())[0]?.id;
    if (!chosen) throw new WsdError('DeploymentNotFound', `no deployments in ${options.state ? 'the state database' : options.stateDir}; start one with \`ws-deployment deploy\``);
    // A run killed mid-way leaves `running` in its journal: the report says interrupted, as `status` does.
    // Its suggestions read the config it ran with, not the default one (core/next-command.ts): unknown until read.
    options.next.forDeployment(undefined);
    const snap = (await store.open(chosen, { readOnly: true })).snapshot();
    options.next.forDeployment(snap.inputs.configFile);
    const processGone = snap.state === 'running' && !(await hasLiveProcess(store, snap, 'report'));
    // Superseded by a newer promoted deployment: over, as `status` says (one still running is not judged).
    const newer = snap.state === 'succeeded' || (snap.state === 'running' && !processGone) ? undefined : await supersededBy(store, snap);
    // A lock copied along with the state dir: the run lives on in the original, as `status` says (state/liveness.ts).
    const copied = processGone ? await store.lockNote?.({ project: snap.inputs.project, environment: snap.inputs.environment }) : undefined;
    const html = renderReportHtml(options.next.value(buildReportModel(await store.readRecords(chosen), new Date(), { processGone, ...(copied ? { copied } : {}), ...(newer ? { supersededBy: newer } : {}) })));
    if (!output || output === '-') {
      process.stdout.write(html);
      return;
    }
    writeOutputFile(output, html);
    process.stdout.write(`${output}\n`);
  } finally {
    await store.close();
  }
}
