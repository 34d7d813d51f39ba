/**
 * The setup the trace e2e suites share: a sandbox workspace with the shift
 * waits at 2 s ({@link shiftWorkspace}) and a local OTLP/HTTP receiver, started
 * before the suite's tests and closed (with the workspace removed) after them.
 * Call it inside the `describe`.
 */
import { afterAll, beforeAll } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';
import { shiftWorkspace, type ShiftWorkspace, type ShiftWorkspaceOptions } from './shift-workspace.js';

export interface TracedWorkspace {
  ws: ShiftWorkspace;
  /** The receiver (started in beforeAll: call from hooks and tests only). */
  receiver(): OtlpReceiver;
}

export function useTracedWorkspace(options: ShiftWorkspaceOptions = {}): TracedWorkspace {
  const ws = shiftWorkspace(options);
  let receiver: OtlpReceiver | undefined;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    ws.cleanup();
  });
  return {
    ws,
    receiver: () => {
      if (!receiver) throw new Error('the OTLP receiver starts in beforeAll: use it from a hook or a test');
      return receiver;
    },
  };
}
