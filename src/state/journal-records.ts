/**
 * What a line of a deployment's journal must be before any reader or writer acts on it. A line that
 * parses as JSON is not yet a record of this deployment: a `{}` pasted in, a line copied twice, two
 * journals joined, another deployment's journal copied into this folder, or a record a newer
 * ws-deployment wrote. Taken as they were, they reset the next append's `seq` (a `{}` has none), moved
 * a step or the traffic shift's checkpoint back to an earlier state (a repeated line), or made a
 * deployment folder show, and `resume` act on, another deployment's clusters while its own were known
 * to no journal. The journal is the truth only while it is one deployment's records in order.
 */
import { SNAPSHOT_SCHEMA_VERSION, type JournalRecord } from './model.js';

/** Every record type this ws-deployment writes and reads: typed as JournalRecord's `type`, so a new one cannot be left out. */
const KNOWN_TYPES: Record<JournalRecord['type'], true> = {
  'deployment.created': true,
  'step.started': true,
  'step.checkpoint': true,
  'step.succeeded': true,
  'step.skipped': true,
  'step.failed': true,
  'step.interrupted': true,
  'step.excluded': true,
  'deployment.resumed': true,
  'shift.retried': true,
  'deployment.finished': true,
  event: true,
};
const RECORD_TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN_TYPES));

/** What is wrong with a journal line, and, where it is not the default repair, what to do. */
export interface LineProblem {
  problem: string;
  /** `foreign`: the whole journal belongs to another deployment; `newer`: a newer ws-deployment wrote it. */
  kind: 'damaged' | 'foreign' | 'newer';
}

/** The fix for a journal a newer ws-deployment wrote: nothing is wrong with it. */
export const NEWER_FIX = 'upgrade ws-deployment to the version that wrote it (the journal is intact; nothing was changed)';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The first record's shape: what a replay reads from it unguarded. */
function createdProblem(r: Record<string, unknown>): string | undefined {
  const inputs = r['inputs'];
  if (typeof r['id'] !== 'string' || !isObject(inputs) || typeof inputs['project'] !== 'string' || typeof inputs['environment'] !== 'string') return 'has no deployment id, project or environment';
  if (typeof r['clusterId'] !== 'number' || !Array.isArray(r['clusters']) || !Array.isArray(r['steps']) || !r['steps'].every(Array.isArray)) return 'has no cluster id, clusters or steps';
  if (!r['clusters'].every((c) => isObject(c) && typeof c['name'] === 'string')) return 'names a cluster without a name';
  return undefined;
}

/**
 * What is wrong with `value`, the JSON of line `line` of deployment `id`'s journal, after the intact
 * records `before`; undefined when it is a record this ws-deployment reads in that place.
 */
export function lineProblem(value: unknown, line: number, before: readonly JournalRecord[], id: string): LineProblem | undefined {
  const damaged = (what: string): LineProblem => ({ problem: `line ${line} ${what}`, kind: 'damaged' });
  if (!isObject(value)) return damaged('is not a JSON object (one journal record per line)');
  const { type, seq, time } = value;
  if (typeof type !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || typeof time !== 'string') {
    return damaged('is JSON but no journal record (each has a type, a seq and a time): it was pasted in or edited');
  }
  const previous = before.at(-1);
  if (!previous) {
    if (type !== 'deployment.created') return damaged(`is a ${type} record (seq ${seq}), but a journal begins with deployment.created: its beginning was cut`);
  } else {
    if (seq <= previous.seq) return damaged(`repeats or goes back to record ${seq} after record ${previous.seq}: a line was copied or two journals were joined`);
    if (type === 'deployment.created') return damaged(`is a second deployment.created (record ${seq}): two journals were joined`);
  }
  if (!RECORD_TYPES.has(type)) return { problem: `line ${line} holds a record of type "${type}", which this ws-deployment does not know: a newer ws-deployment wrote it`, kind: 'newer' };
  if (type !== 'deployment.created') return undefined;
  const version = value['schemaVersion'];
  if (typeof version === 'number' && version > SNAPSHOT_SCHEMA_VERSION) {
    return { problem: `line ${line} is of journal schema ${version} (this ws-deployment reads ${SNAPSHOT_SCHEMA_VERSION}): a newer ws-deployment wrote it`, kind: 'newer' };
  }
  const shape = createdProblem(value);
  if (shape) return damaged(`(deployment.created) ${shape}`);
  if (value['id'] !== id) {
    return { problem: `holds the journal of deployment ${String(value['id'])} (its first record names it), not of ${id}: it was copied in from that deployment's folder`, kind: 'foreign' };
  }
  return undefined;
}
