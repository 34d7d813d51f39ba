/**
 * Behavioural fakes of the shift controller's ports. FakeRegistry follows the
 * bridge's semantics (design §3): Update changes one property, unknown names are
 * NOT_FOUND, static clusters refuse changes, cordoned toggles AVAILABLE/CORDONED.
 */
import { WsdError } from '../../../src/core/errors.js';
import type { MeasurementRecord } from '../../../src/traffic/judges/measure.js';
import type {
  ControlCommand,
  ControlPort,
  OriginalSnapshot,
  RegistryChange,
  RegistryCluster,
  RegistryPort,
  ShiftJournal,
  ShiftProgress,
} from '../../../src/traffic/shift-ports.js';

export class FakeRegistry implements RegistryPort {
  readonly metas = new Map<string, Map<string, RegistryCluster>>();
  readonly log: string[] = [];
  /** Fail this many upcoming updates with a transient error. */
  transientFailures = 0;

  add(meta: string, cluster: Partial<RegistryCluster> & { name: string }): this {
    const m = this.metas.get(meta) ?? new Map<string, RegistryCluster>();
    m.set(cluster.name, { state: 'AVAILABLE', score: 100, maxScore: 100, static: false, admissionConstraints: [], ...cluster });
    this.metas.set(meta, m);
    return this;
  }

  get(meta: string, name: string): RegistryCluster {
    const c = this.metas.get(meta)?.get(name);
    if (!c) throw new Error(`no ${name} on ${meta}`);
    return c;
  }

  async list(meta: string): Promise<RegistryCluster[]> {
    this.log.push(`list ${meta}`);
    return [...(this.metas.get(meta)?.values() ?? [])].map((c) => ({ ...c, admissionConstraints: [...c.admissionConstraints] }));
  }

  async update(meta: string, name: string, change: RegistryChange): Promise<void> {
    if (this.transientFailures > 0) {
      this.transientFailures--;
      throw new WsdError('RegistryUnavailable', `meta ${meta} unavailable`, { transient: true });
    }
    const c = this.metas.get(meta)?.get(name);
    if (!c) throw new WsdError('RegistryNotFound', `cluster ${name} not found on ${meta}`);
    if (c.static) throw new WsdError('RegistryRefused', `cluster ${name} is static`);
    this.log.push(`update ${meta} ${name} ${JSON.stringify(change)}`);
    if ('score' in change) c.score = change.score;
    else if ('maxScore' in change) c.maxScore = change.maxScore;
    else if ('cordoned' in change) {
      if (c.state === 'AVAILABLE' || c.state === 'CORDONED') c.state = change.cordoned ? 'CORDONED' : 'AVAILABLE';
    } else {
      // As the bridge (and the simulator): add appends even a duplicate, remove drops every copy.
      const { add, constraint } = change.admissionConstraint;
      c.admissionConstraints = add ? [...c.admissionConstraints, constraint] : c.admissionConstraints.filter((x) => x !== constraint);
    }
  }

  /** Score updates of one cluster on one meta, in order. */
  scores(meta: string, name: string): number[] {
    const prefix = `update ${meta} ${name} {"score":`;
    return this.log.filter((l) => l.startsWith(prefix)).map((l) => Number(l.slice(prefix.length, -1)));
  }
}

export class MemoryJournal implements ShiftJournal {
  original?: OriginalSnapshot;
  progress?: ShiftProgress;
  readonly decisions: Array<MeasurementRecord & { stepIndex: number; percent: number }> = [];
  originalSaves = 0;

  constructor(private readonly log?: string[]) {}

  async saveOriginalScores(snapshot: OriginalSnapshot): Promise<void> {
    this.originalSaves++;
    this.log?.push('journal original');
    this.original = structuredClone(snapshot);
  }

  async recordDecision(record: MeasurementRecord & { stepIndex: number; percent: number }): Promise<void> {
    this.decisions.push(structuredClone(record));
  }

  async recordStep(progress: ShiftProgress): Promise<void> {
    this.progress = structuredClone(progress);
  }

  async load(): Promise<{ original?: OriginalSnapshot; progress?: ShiftProgress }> {
    return { original: structuredClone(this.original), progress: structuredClone(this.progress) };
  }
}

export class QueueControl implements ControlPort {
  private readonly queue: Array<{ command: ControlCommand; by?: string; sentAt?: string }> = [];

  push(command: ControlCommand, by?: string): void {
    this.queue.push({ command, ...(by ? { by, sentAt: '2026-01-01T00:00:00.000Z' } : {}) });
  }

  async next(): Promise<{ command: ControlCommand; by?: string; sentAt?: string } | undefined> {
    return this.queue.shift();
  }

  async pending(): Promise<ControlCommand[]> {
    return this.queue.map((q) => q.command);
  }
}
