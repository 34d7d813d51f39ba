/**
 * The gcloud fakes (test/unit/tools/gcloud.test.ts, test/e2e/gke-create-cluster.test.ts)
 * answer with recorded real gcloud text. This reruns the recorder against the
 * installed gcloud — offline, every endpoint on 127.0.0.1, see its header — and
 * checks the recording is still what gcloud prints, then that describeCluster
 * reads each real answer right: absent only on NOT_FOUND for this cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isClusterNotFound } from '../../../src/tools/gcloud.js';
import { GCLOUD_RECORDING, type GcloudCase } from '../../fixtures/recorded/gcloud-outputs.js';
import { requireBinary } from '../../helpers/require-binary.js';

const RECORDER = new URL('../../fixtures/recorded/record-gcloud.mjs', import.meta.url).pathname;
/**
 * gcloud lists a malformed key's missing fields from a Python set, whose order changes from run to
 * run (hash randomisation): compare that list as a set.
 */
function stableFieldOrder(cases: typeof GCLOUD_RECORDING.cases): typeof GCLOUD_RECORDING.cases {
  const sortFields = (text: string) => text.replace(/missing fields ([a-z_]+(?:, [a-z_]+)*)/g, (_m, list: string) => `missing fields ${list.split(', ').sort().join(', ')}`);
  return Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, { ...v, stderr: sortFields(v.stderr) }])) as typeof GCLOUD_RECORDING.cases;
}

const MISSING = { name: 'gp-prod-ws-eu17-eu-west1', project: 'gitpod-test', region: 'europe-west1' };

describe('recorded gcloud answers', () => {
  it.each([
    ['notFound', true],
    ['noActiveAccount', false],
    ['malformedKeyFile', false],
    ['tokenEndpointUnreachable', false],
    ['permissionDenied', false],
  ] as Array<[GcloudCase, boolean]>)('%s: exit 1, nothing on stdout, absent=%s', (name, absent) => {
    const call = GCLOUD_RECORDING.cases[name];
    expect(call).toMatchObject({ exitCode: 1, stdout: '' });
    expect(call.stderr).toMatch(/^ERROR: \(gcloud\.container\.clusters\.describe\) /);
    expect(isClusterNotFound(call.stderr, MISSING)).toBe(absent);
  });

  it('a NOT_FOUND for another cluster is not "absent" for this one', () => {
    expect(isClusterNotFound(GCLOUD_RECORDING.cases.notFound.stderr, { ...MISSING, name: 'gp-prod-ws-eu1-eu-west1' })).toBe(false);
  });
});

describe.skipIf(!requireBinary('gcloud', 'checks the recorded gcloud answers against the binary'))('recorded gcloud answers vs the installed gcloud', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-gcloud-rerecord-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are still what gcloud prints', async () => {
    const out = join(dir, 'again.json');
    await promisify(execFile)(process.execPath, [RECORDER, out], { timeout: 300_000 });
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as typeof GCLOUD_RECORDING;
    expect(stableFieldOrder(fresh.cases), `recorded with gcloud core ${GCLOUD_RECORDING.gcloudCore}, now ${fresh.gcloudCore}`).toEqual(stableFieldOrder(GCLOUD_RECORDING.cases));
  }, 300_000);
});
