/**
 * `status --output json`'s `error` of an interruption a newer deployment superseded: said from the state (interrupted,
 * superseded by whom, nothing resumes it), whatever words the interruption was journaled with: the engine's, a killed
 * run's (state/liveness.ts), a copied state dir's, or words of another version. It never passes on an advice to
 * `resume` that the text and the report leave out.
 */
import { describe, expect, it } from 'vitest';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { processGone } from '../../../src/state/liveness.js';
import type { Snapshot } from '../../../src/state/model.js';

const ID = '20260101-000003-aaaa';

function superseded(message: string): Snapshot {
  return {
    schemaVersion: 1,
    seq: 3,
    id: ID,
    state: 'interrupted',
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:01:00.000Z',
    inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'e' } as Snapshot['inputs'],
    clusterId: 101,
    clusters: [],
    deploymentSteps: [],
    error: { code: 'Interrupted', message },
    supersededBy: '20260101-000004-aaaa',
  };
}

const running = { ...superseded(''), state: 'running', error: undefined } as Snapshot;
const WORDINGS = {
  engine: `deployment ${ID} was interrupted; continue it with \`ws-deployment resume ${ID}\``,
  killed: processGone(running).error!.message,
  copied: processGone(running, 'its lock was copied from host h (pid 1)').error!.message,
  // An interruption journaled in words this version does not write.
  other: `deployment ${ID} stopped (SIGTERM). To go on, run: \`ws-deployment resume ${ID}\``,
};

describe('the error of a superseded interruption', () => {
  for (const [how, message] of Object.entries(WORDINGS)) {
    it(`is said from the state (${how})`, () => {
      const snap = superseded(message);
      expect(statusDocument(snap).error).toEqual({ code: 'Interrupted', message: `deployment ${ID} was interrupted; superseded by 20260101-000004-aaaa, so nothing resumes it` });
      // The text says no resume either: its error line is left out, the superseded line says what is left.
      expect(renderSummary(snap)).not.toContain('ws-deployment resume');
    });
  }
});
