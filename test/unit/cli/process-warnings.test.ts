import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { routeProcessWarnings } from '../../../src/cli/process-warnings.js';

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('process warnings during a command', () => {
  it('become debug events instead of raw stderr lines, and Node printing comes back afterwards', async () => {
    const before = process.listeners('warning');
    const sink = new MemorySink();
    const restore = routeProcessWarnings(sink);
    expect(process.listeners('warning')).toHaveLength(1);
    process.emitWarning('Setting the TLS ServerName to an IP address is not permitted', { type: 'DeprecationWarning', code: 'DEP0123' });
    await nextTick();
    restore();
    expect(sink.events.map((e) => [e.level, e.code, e.message])).toEqual([
      ['debug', 'process.warning', 'DeprecationWarning DEP0123: Setting the TLS ServerName to an IP address is not permitted'],
    ]);
    expect(process.listeners('warning')).toEqual(before);
  });
});
